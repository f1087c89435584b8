//! Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{raw body}`, checked before anything is parsed.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far a request's timestamp may be from our clock, either way (Slack: 5 minutes).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The app's signing secret, plus the previous one while a rotation is under way.
#[derive(Clone)]
pub struct SigningSecrets {
    current: SecretString,
    previous: Option<SecretString>,
}

impl std::fmt::Debug for SigningSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecrets(..)")
    }
}

impl SigningSecrets {
    pub fn new(current: SecretString, previous: Option<SecretString>) -> Self {
        Self { current, previous }
    }

    fn all(&self) -> impl Iterator<Item = &SecretString> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

/// Why a request was refused. Never shown to the caller: they get a bare 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no X-Slack-Request-Timestamp header")]
    MissingTimestamp,
    #[error("X-Slack-Request-Timestamp is not a number")]
    MalformedTimestamp,
    #[error("timestamp is more than five minutes from our clock")]
    Stale,
    #[error("no X-Slack-Signature header")]
    MissingSignature,
    #[error("X-Slack-Signature is not v0=<64 hex digits>")]
    MalformedSignature,
    #[error("signature does not match the body")]
    Mismatch,
}

/// Checks one request. `now` is Unix seconds, passed in so tests can use Slack's published vector.
pub fn verify(
    secrets: &SigningSecrets,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let timestamp = timestamp.ok_or(VerifyError::MissingTimestamp)?;
    let sent_at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::MalformedTimestamp)?;
    if now.abs_diff(sent_at) > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let signature = signature.ok_or(VerifyError::MissingSignature)?;
    let expected = signature
        .strip_prefix("v0=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(VerifyError::MalformedSignature)?;

    let matches = secrets.all().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
            return false;
        };
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        // verify_slice compares in constant time.
        mac.verify_slice(&expected).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// Signs a body as Slack would: for tests, the benchmark's load generator and the demo.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // An HMAC key may be any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's published known-answer example (api.slack.com/authentication/verifying-requests-from-slack).
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: i64 = 1_531_420_618;

    fn secrets(current: &str, previous: Option<&str>) -> SigningSecrets {
        SigningSecrets::new(current.into(), previous.map(Into::into))
    }

    fn check(s: &SigningSecrets, body: &str, sig: &str, now: i64) -> Result<(), VerifyError> {
        verify(s, Some(TIMESTAMP), Some(sig), body.as_bytes(), now)
    }

    #[test]
    fn slacks_published_example_verifies() {
        assert_eq!(BODY.len(), 362);
        assert_eq!(check(&secrets(SECRET, None), BODY, SIGNATURE, NOW), Ok(()));
        assert_eq!(sign(SECRET, NOW, BODY.as_bytes()), SIGNATURE);
    }

    #[test]
    fn a_changed_body_fails() {
        let body = format!("{BODY}------");
        assert_eq!(
            check(&secrets(SECRET, None), &body, SIGNATURE, NOW),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn the_previous_secret_is_accepted_during_rotation() {
        let s = secrets("a-new-secret", Some(SECRET));
        assert_eq!(check(&s, BODY, SIGNATURE, NOW), Ok(()));
        assert_eq!(
            check(&secrets("a-new-secret", None), BODY, SIGNATURE, NOW),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn timestamps_older_or_newer_than_five_minutes_fail() {
        let s = secrets(SECRET, None);
        assert_eq!(check(&s, BODY, SIGNATURE, NOW + 300), Ok(()));
        assert_eq!(check(&s, BODY, SIGNATURE, NOW - 300), Ok(()));
        assert_eq!(
            check(&s, BODY, SIGNATURE, NOW + 301),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            check(&s, BODY, SIGNATURE, NOW - 301),
            Err(VerifyError::Stale)
        );
        // The real clock is years past the example.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        assert_eq!(check(&s, BODY, SIGNATURE, now), Err(VerifyError::Stale));
    }

    #[test]
    fn missing_or_malformed_headers_fail() {
        let s = secrets(SECRET, None);
        let body = BODY.as_bytes();
        assert_eq!(
            verify(&s, None, Some(SIGNATURE), body, NOW),
            Err(VerifyError::MissingTimestamp)
        );
        assert_eq!(
            verify(&s, Some(TIMESTAMP), None, body, NOW),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            verify(&s, Some("soon"), Some(SIGNATURE), body, NOW),
            Err(VerifyError::MalformedTimestamp)
        );
        assert_eq!(
            verify(
                &s,
                Some("99999999999999999999999"),
                Some(SIGNATURE),
                body,
                NOW
            ),
            Err(VerifyError::MalformedTimestamp)
        );
        for bad in [
            "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "v0=zz",
            "a2114d57",
            "v0=",
            "",
        ] {
            assert_eq!(
                verify(&s, Some(TIMESTAMP), Some(bad), body, NOW),
                Err(VerifyError::MalformedSignature),
                "{bad}"
            );
        }
    }

    #[test]
    fn extreme_clocks_do_not_overflow() {
        let s = secrets(SECRET, None);
        assert_eq!(
            verify(
                &s,
                Some("-9223372036854775808"),
                Some(SIGNATURE),
                b"",
                i64::MAX
            ),
            Err(VerifyError::Stale)
        );
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = secrets(SECRET, Some("older-secret"));
        let shown = format!("{s:?}");
        assert!(!shown.contains(SECRET) && !shown.contains("older"));
    }
}
