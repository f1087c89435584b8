//! The signature verifier: it accepts exactly the signatures made with one of our secrets over this very timestamp and body.

use crate::slack::verify::{MAX_CLOCK_SKEW_SECS, SigningSecrets, VerifyError, sign, verify};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The verifier's clock during a run.
const NOW: i64 = 1_700_000_000;
/// The secret of a rotation still under way: it must be honoured like the current one.
const PREVIOUS: &str = "previous-signing-secret";

/// Input: `secret NUL timestamp NUL signature NUL body`; missing parts are empty.
pub fn signature(data: &[u8]) {
    let mut parts = data.splitn(4, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (secret, timestamp, signature) = (text(), text(), text());
    let body = parts.next().unwrap_or_default();
    let secrets = SigningSecrets::new(secret.clone().into(), Some(PREVIOUS.into()));

    // Whatever was sent: accepted only if fresh and made with one of the secrets over this body.
    if verify(&secrets, Some(&timestamp), Some(&signature), body, NOW).is_ok() {
        let sent_at: i64 = timestamp
            .trim()
            .parse()
            .expect("accepted a timestamp that is no number");
        assert!(NOW.abs_diff(sent_at) <= MAX_CLOCK_SKEW_SECS.unsigned_abs());
        let made_by_us = [secret.as_str(), PREVIOUS]
            .iter()
            .any(|s| signature.eq_ignore_ascii_case(&mac(s, &timestamp, body)));
        assert!(made_by_us, "accepted a signature not made for this body");
    }

    // A genuine signature, sent up to 400 s early or late: accepted within five minutes only.
    let offset = (data.len() % 801) as i64 - 400;
    let sent_at = NOW + offset;
    let at = sent_at.to_string();
    let genuine = sign(&secret, sent_at, body);
    let fresh = offset.abs() <= MAX_CLOCK_SKEW_SECS;
    let expected = if fresh {
        Ok(())
    } else {
        Err(VerifyError::Stale)
    };
    assert_eq!(
        verify(&secrets, Some(&at), Some(&genuine), body, NOW),
        expected
    );
    let previous = sign(PREVIOUS, sent_at, body);
    assert_eq!(
        verify(&secrets, Some(&at), Some(&previous), body, NOW),
        expected
    );
    if !fresh {
        return;
    }

    // The same signature never passes for another body, timestamp or secret.
    let mismatch = Err(VerifyError::Mismatch);
    let mut altered = body.to_vec();
    match altered.get_mut(data.len() % body.len().max(1)) {
        Some(byte) => *byte ^= 0x20,
        None => altered.push(b'{'),
    }
    assert_eq!(
        verify(&secrets, Some(&at), Some(&genuine), &altered, NOW),
        mismatch
    );
    let mut longer = body.to_vec();
    longer.push(b'&');
    assert_eq!(
        verify(&secrets, Some(&at), Some(&genuine), &longer, NOW),
        mismatch
    );
    if let Some(shorter) = body
        .get(..body.len().saturating_sub(1))
        .filter(|_| !body.is_empty())
    {
        assert_eq!(
            verify(&secrets, Some(&at), Some(&genuine), shorter, NOW),
            mismatch
        );
    }
    // Same instant, written differently: the signature covers the header as sent.
    let padded = format!("+{at}");
    assert_eq!(
        verify(&secrets, Some(&padded), Some(&genuine), body, NOW),
        mismatch
    );
    let stranger = SigningSecrets::new(format!("{secret}!").into(), None);
    assert_eq!(
        verify(&stranger, Some(&at), Some(&genuine), body, NOW),
        mismatch
    );
}

/// Slack's signature, computed here independently of the verifier: `v0=` + hex HMAC-SHA256.
fn mac(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
