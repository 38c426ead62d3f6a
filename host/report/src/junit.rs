//! JUnit XML for CI systems: one `<testsuite>` per set and location, one `<testcase>` per
//! check. A failed check is a `<failure>`; a warning is not a failure but is noted in
//! `<system-out>`.
//!
//! ```xml
//! <testsuites name="netcheck" tests="2" failures="1" errors="0" skipped="0" time="1.234" timestamp="...">
//!   <testsuite name="aws-core" tests="2" failures="1" ...>
//!     <testcase classname="netcheck.aws-core" name="kms [local]" time="0.052">
//!       <properties><property name="url" value="https://kms..."/>...</properties>
//!       <failure message="access-denied: kms:ListKeys was denied" type="access-denied">...</failure>
//!     </testcase>
//! ```
//!
//! Text is escaped by quick-xml; characters XML 1.0 cannot carry at all (control
//! characters) are replaced with U+FFFD, and attribute values are kept to one line.

use std::io;

use netcheck_runner_api::{CheckResult, Status};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::Report;
use super::summary::{Summary, seconds};
use super::text::{clean, details};

/// Renders the report as JUnit XML (ends with a newline).
pub fn junit(r: &Report) -> String {
    match write(r) {
        Ok(bytes) => {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            text.push('\n');
            text
        }
        // Writing into memory does not fail; say so in XML terms if it ever does.
        Err(e) => format!("<!-- netcheck: cannot render JUnit report: {e} -->\n"),
    }
}

/// A suite: its location, set and members.
type Suite<'a> = (&'a str, &'a str, Vec<&'a CheckResult>);

/// Results grouped by (location, set), in order of first appearance.
fn suites(results: &[CheckResult]) -> Vec<Suite<'_>> {
    let mut groups: Vec<Suite<'_>> = Vec::new();
    for r in results {
        match groups
            .iter_mut()
            .find(|(loc, set, _)| *loc == r.location && *set == r.set)
        {
            Some((_, _, members)) => members.push(r),
            None => groups.push((&r.location, &r.set, vec![r])),
        }
    }
    groups
}

fn write(r: &Report) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;

    let total = r.summary();
    let timestamp = humantime::format_rfc3339_seconds(r.started_at).to_string();
    let mut root = BytesStart::new("testsuites");
    push_counts(&mut root, "netcheck", &total);
    root.push_attribute(("time", seconds(r.duration.as_secs_f64() * 1000.0).as_str()));
    root.push_attribute(("timestamp", timestamp.as_str()));
    w.write_event(Event::Start(root))?;

    for (location, set, members) in suites(r.results) {
        let counts = Summary::of(members.iter().copied());
        let name = if location == "local" {
            set.to_string()
        } else {
            format!("{set} [{location}]")
        };
        let time: f64 = members.iter().map(|m| m.duration_ms).sum();
        let mut suite = BytesStart::new("testsuite");
        push_counts(&mut suite, &name, &counts);
        suite.push_attribute(("time", seconds(time).as_str()));
        suite.push_attribute(("timestamp", timestamp.as_str()));
        w.write_event(Event::Start(suite))?;
        properties(&mut w, &[("runner", r.runner), ("location", location)])?;
        for m in members {
            testcase(&mut w, m)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }

    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(w.into_inner())
}

/// `name`, `tests`, `failures`, `errors`, `skipped`. Warnings count as passing tests.
fn push_counts(e: &mut BytesStart, name: &str, s: &Summary) {
    e.push_attribute(("name", attr(name).as_str()));
    e.push_attribute(("tests", s.total().to_string().as_str()));
    e.push_attribute(("failures", s.fail.to_string().as_str()));
    e.push_attribute(("errors", "0"));
    e.push_attribute(("skipped", "0"));
}

fn testcase(w: &mut Writer<Vec<u8>>, r: &CheckResult) -> io::Result<()> {
    let mut case = BytesStart::new("testcase");
    case.push_attribute(("classname", attr(&format!("netcheck.{}", r.set)).as_str()));
    case.push_attribute((
        "name",
        attr(&format!("{} [{}]", r.name, r.location)).as_str(),
    ));
    case.push_attribute(("time", seconds(r.duration_ms).as_str()));
    w.write_event(Event::Start(case))?;

    let mut props = vec![("url", r.url.as_str()), ("plugin", r.plugin.as_str())];
    if let Some(s) = &r.service {
        props.push(("service", s));
    }
    if let Some(a) = &r.action {
        props.push(("action", a));
    }
    props.push(("reason", &r.reason));
    properties(w, &props)?;

    match r.status {
        Status::Fail => {
            let mut failure = BytesStart::new("failure");
            let message = attr(&format!("{}: {}", r.reason, r.message));
            failure.push_attribute(("message", message.as_str()));
            failure.push_attribute(("type", attr(&r.reason).as_str()));
            w.write_event(Event::Start(failure))?;
            w.write_event(Event::Text(BytesText::new(&clean(&details(r), true))))?;
            w.write_event(Event::End(BytesEnd::new("failure")))?;
        }
        Status::Warn => {
            w.write_event(Event::Start(BytesStart::new("system-out")))?;
            w.write_event(Event::Text(BytesText::new(&clean(&details(r), true))))?;
            w.write_event(Event::End(BytesEnd::new("system-out")))?;
        }
        Status::Pass => {}
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

fn properties(w: &mut Writer<Vec<u8>>, props: &[(&str, &str)]) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new("properties")))?;
    for (name, value) in props {
        let mut p = BytesStart::new("property");
        p.push_attribute(("name", *name));
        p.push_attribute(("value", attr(value).as_str()));
        w.write_event(Event::Empty(p))?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))
}

/// An attribute value: one line, no control characters (quick-xml escapes the rest).
fn attr(text: &str) -> String {
    clean(text, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{report, sample};
    use quick_xml::Reader;
    use quick_xml::events::Event;

    /// Parsed elements: (name, attributes) in document order, plus text per element name.
    struct Parsed {
        elements: Vec<(String, Vec<(String, String)>)>,
        texts: Vec<(String, String)>,
    }

    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        let mut elements = Vec::new();
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut stack: Vec<String> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    elements.push((name.clone(), attrs(&e)));
                    stack.push(name);
                }
                Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    elements.push((name, attrs(&e)));
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    let s = t.decode().expect("utf-8").into_owned();
                    push_text(&mut texts, &stack, &s);
                }
                Event::GeneralRef(r) => {
                    let name = r.decode().expect("utf-8").into_owned();
                    let s = quick_xml::escape::unescape(&format!("&{name};"))
                        .expect("known entity")
                        .into_owned();
                    push_text(&mut texts, &stack, &s);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Parsed { elements, texts }
    }

    fn push_text(texts: &mut Vec<(String, String)>, stack: &[String], s: &str) {
        let Some(top) = stack.last() else { return };
        match texts.last_mut() {
            Some((name, text)) if name == top => text.push_str(s),
            _ => texts.push((top.clone(), s.to_string())),
        }
    }

    fn attrs(e: &BytesStart) -> Vec<(String, String)> {
        e.attributes()
            .map(|a| {
                let a = a.expect("valid attribute");
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().expect("escaped value").into_owned(),
                )
            })
            .collect()
    }

    fn attr_of<'a>(el: &'a (String, Vec<(String, String)>), key: &str) -> Option<&'a str> {
        el.1.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn named<'a>(p: &'a Parsed, name: &str) -> Vec<&'a (String, Vec<(String, String)>)> {
        p.elements.iter().filter(|(n, _)| n == name).collect()
    }

    #[test]
    fn counts_match_results() {
        let results = sample();
        let p = parse(&junit(&report(&results)));
        let root = named(&p, "testsuites")[0];
        assert_eq!(attr_of(root, "tests"), Some("4"));
        assert_eq!(attr_of(root, "failures"), Some("2"));
        assert_eq!(attr_of(root, "time"), Some("1.234"));
        assert_eq!(named(&p, "testcase").len(), 4);
        assert_eq!(named(&p, "failure").len(), 2);
        let suites = named(&p, "testsuite");
        let names: Vec<_> = suites.iter().map(|s| attr_of(s, "name")).collect();
        assert_eq!(names, [Some("aws-core"), Some("web"), Some("db")]);
        assert_eq!(attr_of(suites[0], "tests"), Some("2"));
        assert_eq!(attr_of(suites[0], "failures"), Some("1"));
        // A warning is reported, but not as a failure.
        assert_eq!(attr_of(suites[1], "failures"), Some("0"));
        let out: Vec<_> = p.texts.iter().filter(|(n, _)| n == "system-out").collect();
        assert_eq!(out.len(), 1);
        assert!(out[0].1.starts_with("warn: http-status:"), "{}", out[0].1);
    }

    #[test]
    fn testcases_carry_names_failures_and_properties() {
        let results = sample();
        let p = parse(&junit(&report(&results)));
        let case = named(&p, "testcase")[1];
        assert_eq!(attr_of(case, "classname"), Some("netcheck.aws-core"));
        assert_eq!(attr_of(case, "name"), Some("kms [local]"));
        assert_eq!(attr_of(case, "time"), Some("0.052"));
        let failure = named(&p, "failure")[0];
        assert_eq!(attr_of(failure, "type"), Some("access-denied"));
        assert_eq!(
            attr_of(failure, "message"),
            Some("access-denied: kms:ListKeys was denied")
        );
        let body = &p
            .texts
            .iter()
            .find(|(n, _)| n == "failure")
            .expect("failure text")
            .1;
        assert!(body.contains("hint: allow kms:ListKeys"), "{body}");
        assert!(body.contains("phases:\n  dns"), "{body}");
        let props: Vec<_> = named(&p, "property")
            .iter()
            .filter_map(|e| Some((attr_of(e, "name")?, attr_of(e, "value")?)))
            .collect();
        assert!(props.contains(&("url", "https://kms.eu-west-1.amazonaws.com/")));
        assert!(props.contains(&("plugin", "kms")));
    }

    #[test]
    fn special_characters_are_escaped_and_read_back() {
        let mut results = sample();
        results[1].name = "a<b>&\"c\"".into();
        results[1].message = "x < y & \"z\"\nsecond line\u{0}".into();
        let xml = junit(&report(&results));
        assert!(!xml.contains("a<b>"), "{xml}");
        let p = parse(&xml);
        let case = named(&p, "testcase")[1];
        assert_eq!(attr_of(case, "name"), Some("a<b>&\"c\" [local]"));
        let failure = named(&p, "failure")[0];
        assert_eq!(
            attr_of(failure, "message"),
            Some("access-denied: x < y & \"z\" second line\u{FFFD}")
        );
        let body = &p
            .texts
            .iter()
            .find(|(n, _)| n == "failure")
            .expect("failure text")
            .1;
        assert!(body.contains("x < y & \"z\"\nsecond line"), "{body}");
    }

    #[test]
    fn remote_locations_get_their_own_suites() {
        let mut results = sample();
        let mut remote = results[0].clone();
        remote.location = "subnet-0abc".into();
        results.push(remote);
        let p = parse(&junit(&report(&results)));
        let names: Vec<_> = named(&p, "testsuite")
            .iter()
            .map(|s| attr_of(s, "name"))
            .collect();
        assert_eq!(
            names,
            [
                Some("aws-core"),
                Some("web"),
                Some("db"),
                Some("aws-core [subnet-0abc]")
            ]
        );
        let last = named(&p, "testcase")[4];
        assert_eq!(attr_of(last, "name"), Some("sts [subnet-0abc]"));
    }
}
