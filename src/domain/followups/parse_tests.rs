use super::*;
use crate::domain::followups::FollowupChannel::{Call, Email, Linkedin, Meeting, Whatsapp};

const JANE_ID: &str = "3f1c2a4e-8b7d-4c6a-9e2f-1a2b3c4d5e01";

fn id(value: &str) -> ContactRef {
    ContactRef::Id(ContactId::parse(value).unwrap())
}

fn email(value: &str) -> ContactRef {
    ContactRef::Email(value.into())
}

fn name(value: &str) -> ContactRef {
    ContactRef::Name(value.into())
}

fn run(contact: ContactRef, count: u64, days: u64, channels: &[FollowupChannel]) -> Invocation {
    Invocation::Run(FollowupsCommand {
        contact,
        count: SuggestionCount::new(count).unwrap(),
        lookback_days: LookbackDays::new(days).unwrap(),
        channels: channels.to_vec(),
    })
}

#[test]
fn every_contact_form_and_every_option_is_read() {
    let cases: Vec<(&str, Invocation)> = vec![
        // Contacts: an id, an e-mail, a name; the defaults are 3 suggestions over 60 days.
        (JANE_ID, run(id(JANE_ID), 3, 60, &[])),
        (
            "3F1C2A4E-8B7D-4C6A-9E2F-1A2B3C4D5E01",
            run(id(JANE_ID), 3, 60, &[]),
        ),
        ("jane@acme.law", run(email("jane@acme.law"), 3, 60, &[])),
        (
            "mailto:jane@acme.law",
            run(email("jane@acme.law"), 3, 60, &[]),
        ),
        ("<jane@acme.law>", run(email("jane@acme.law"), 3, 60, &[])),
        (
            "Jane Doe <jane@acme.law>",
            run(email("jane@acme.law"), 3, 60, &[]),
        ),
        ("jane@acme.law.", run(email("jane@acme.law"), 3, 60, &[])),
        ("Jane Doe", run(name("Jane Doe"), 3, 60, &[])),
        ("  Jane    Doe  ", run(name("Jane Doe"), 3, 60, &[])),
        ("\"Jane Doe\"", run(name("Jane Doe"), 3, 60, &[])),
        ("\" Jane  Doe \"", run(name("Jane Doe"), 3, 60, &[])),
        ("“Jane Doe”", run(name("Jane Doe"), 3, 60, &[])),
        ("'Jane Doe'", run(name("Jane Doe"), 3, 60, &[])),
        ("‘Jane Doe’", run(name("Jane Doe"), 3, 60, &[])),
        ("\"jane@acme.law\"", run(email("jane@acme.law"), 3, 60, &[])),
        ("Connor O'Brien", run(name("Connor O'Brien"), 3, 60, &[])),
        ("Sam", run(name("Sam"), 3, 60, &[])),
        // --count
        ("Jane Doe --count 5", run(name("Jane Doe"), 5, 60, &[])),
        ("Jane Doe --count=10", run(name("Jane Doe"), 10, 60, &[])),
        ("Jane Doe --count 1", run(name("Jane Doe"), 1, 60, &[])),
        ("Jane Doe --COUNT 2", run(name("Jane Doe"), 2, 60, &[])),
        // --days
        ("Jane Doe --days 30", run(name("Jane Doe"), 3, 30, &[])),
        ("Jane Doe --days=365", run(name("Jane Doe"), 3, 365, &[])),
        ("Jane Doe --days 1", run(name("Jane Doe"), 3, 1, &[])),
        // --channels: commas, spaces, any case, plurals, repeats dropped
        (
            "Jane Doe --channels email",
            run(name("Jane Doe"), 3, 60, &[Email]),
        ),
        (
            "Jane Doe --channels email,call,meeting,linkedin,whatsapp",
            run(
                name("Jane Doe"),
                3,
                60,
                &[Email, Call, Meeting, Linkedin, Whatsapp],
            ),
        ),
        (
            "Jane Doe --channels email, call",
            run(name("Jane Doe"), 3, 60, &[Email, Call]),
        ),
        (
            "Jane Doe --channels=LinkedIn,WhatsApp",
            run(name("Jane Doe"), 3, 60, &[Linkedin, Whatsapp]),
        ),
        (
            "Jane Doe --channels emails,calls",
            run(name("Jane Doe"), 3, 60, &[Email, Call]),
        ),
        (
            "Jane Doe --channels email,email",
            run(name("Jane Doe"), 3, 60, &[Email]),
        ),
        (
            "Jane Doe --channel call",
            run(name("Jane Doe"), 3, 60, &[Call]),
        ),
        // Everything at once, in any order, and autocorrected dashes
        (
            "jane@acme.law --channels email,call --days 14 --count 4",
            run(email("jane@acme.law"), 4, 14, &[Email, Call]),
        ),
        (
            "\"Jane Doe\" —count 2 —days 7",
            run(name("Jane Doe"), 2, 7, &[]),
        ),
        ("Jane Doe –count 2", run(name("Jane Doe"), 2, 60, &[])),
        // Help
        ("", Invocation::Help),
        ("   ", Invocation::Help),
        ("help", Invocation::Help),
        ("HELP", Invocation::Help),
        ("--help", Invocation::Help),
        ("-h", Invocation::Help),
        ("?", Invocation::Help),
        ("Jane Doe --help", Invocation::Help),
        // Quoted "help" is a contact called Help, not a request for help.
        ("\"help\"", run(name("help"), 3, 60, &[])),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text), Ok(expected), "parsing {text:?}");
    }
}

#[test]
fn every_mistake_is_named() {
    let too_long = "x".repeat(201);
    let cases: Vec<(&str, ParseError)> = vec![
        ("--count 5", ParseError::MissingContact),
        ("\"\" --count 5", ParseError::MissingContact),
        ("Jane --cout 5", ParseError::UnknownOption("--cout".into())),
        ("Jane --", ParseError::UnknownOption("--".into())),
        (
            "Jane --count",
            ParseError::MissingValue {
                option: "--count",
                example: "5",
            },
        ),
        (
            "Jane --count=",
            ParseError::MissingValue {
                option: "--count",
                example: "5",
            },
        ),
        (
            "Jane --days",
            ParseError::MissingValue {
                option: "--days",
                example: "30",
            },
        ),
        (
            "Jane --channels",
            ParseError::MissingValue {
                option: "--channels",
                example: "email,call",
            },
        ),
        (
            "Jane --channels ,",
            ParseError::MissingValue {
                option: "--channels",
                example: "email,call",
            },
        ),
        ("Jane --count 0", ParseError::BadCount("0".into())),
        ("Jane --count 11", ParseError::BadCount("11".into())),
        ("Jane --count -1", ParseError::BadCount("-1".into())),
        ("Jane --count five", ParseError::BadCount("five".into())),
        ("Jane --count 2.5", ParseError::BadCount("2.5".into())),
        (
            "Jane --count 99999999999999999999999",
            ParseError::BadCount("99999999999999999999999".into()),
        ),
        ("Jane --days 0", ParseError::BadDays("0".into())),
        ("Jane --days 366", ParseError::BadDays("366".into())),
        ("Jane --days week", ParseError::BadDays("week".into())),
        (
            "Jane --channels fax",
            ParseError::UnknownChannel("fax".into()),
        ),
        (
            "Jane --channels email,sms",
            ParseError::UnknownChannel("sms".into()),
        ),
        (
            "Jane --count 2 --count 3",
            ParseError::RepeatedOption("--count"),
        ),
        (
            "Jane --days 2 --days=3",
            ParseError::RepeatedOption("--days"),
        ),
        (
            "Jane --channels call --channel email",
            ParseError::RepeatedOption("--channels"),
        ),
        (
            "\"Jane Doe --count 3",
            ParseError::UnclosedQuote("Jane Doe --count 3".into()),
        ),
        ("“Jane Doe", ParseError::UnclosedQuote("Jane Doe".into())),
        (
            "Jane --count 3 Doe",
            ParseError::StrayText {
                option: "--count",
                text: "Doe".into(),
            },
        ),
        (
            "--days 3 jane@acme.law",
            ParseError::StrayText {
                option: "--days",
                text: "jane@acme.law".into(),
            },
        ),
        ("jane@", ParseError::NotAnEmail("jane@".into())),
        ("@acme.law", ParseError::NotAnEmail("@acme.law".into())),
        (
            "jane@@acme.law",
            ParseError::NotAnEmail("jane@@acme.law".into()),
        ),
        (
            "jane@acme.law sam@acme.law",
            ParseError::NotAnEmail("jane@acme.law sam@acme.law".into()),
        ),
        ("jane@.law", ParseError::NotAnEmail("jane@.law".into())),
        (&too_long, ParseError::ContactTooLong(201)),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text), Err(expected), "parsing {text:?}");
    }
}

#[test]
fn errors_quote_the_users_text_briefly_and_safely() {
    let long = format!("Jane --channels {}", "x".repeat(100));
    let message = parse(&long).unwrap_err().to_string();
    assert!(
        message.contains(&format!("`{}…`", "x".repeat(40))),
        "{message}"
    );
    let message = parse("Jane --count `5`").unwrap_err().to_string();
    assert_eq!(
        message,
        "`--count` takes a whole number from 1 to 10, not `'5'`."
    );
}

#[test]
fn a_command_written_out_as_text_reads_back_the_same() {
    let commands = [
        FollowupsCommand::for_contact(id(JANE_ID)),
        FollowupsCommand {
            contact: id(JANE_ID),
            count: SuggestionCount::new(7).unwrap(),
            lookback_days: LookbackDays::new(200).unwrap(),
            channels: vec![Whatsapp, Email],
        },
        FollowupsCommand::for_contact(email("jane@acme.law")),
        FollowupsCommand::for_contact(name("Jane Doe")),
    ];
    for command in commands {
        let text = command.to_command_text();
        assert_eq!(parse(&text), Ok(Invocation::Run(command)), "{text}");
    }
}

/// Found by `cargo fuzz run followups_arguments`: a name was written inside `"…"`, so a quote
/// within it ended the name early and the text read back as another contact; and a doubled
/// `mailto:` or a `).` after the address was stripped one layer per reading, so the address
/// changed each time it was read; an address that starts with a quote was written bare.
#[test]
fn contacts_with_quotes_and_dashes_written_out_read_back_the_same() {
    let typed = [
        "el+++\"++J",
        "\"Jane Doe” x",
        "'\"Bob' Smith",
        "\"'it' is\" me",
        "“‘Q’” \"--weird\" '—dash'",
        "<“a@b.law>",
        "'mailto:‘x@y.law'",
        "mailto:MAILTO:jane@acme.law",
        "jane@acme).",
        "(mailto:<jane@acme.law>);",
        "('((“(x@acme'",
        "(--jane@acme.law)",
    ];
    for text in typed {
        let Ok(Invocation::Run(command)) = parse(text) else {
            panic!("{text:?} does not parse");
        };
        let written = command.to_command_text();
        assert_eq!(
            parse(&written),
            Ok(Invocation::Run(command)),
            "{text:?} written as {written:?}"
        );
    }
}

#[test]
fn counts_and_days_outside_their_range_do_not_deserialize() {
    assert!(serde_json::from_str::<SuggestionCount>("11").is_err());
    assert!(serde_json::from_str::<SuggestionCount>("0").is_err());
    assert!(serde_json::from_str::<LookbackDays>("366").is_err());
    assert_eq!(
        serde_json::from_str::<LookbackDays>("30").unwrap().get(),
        30
    );
}
