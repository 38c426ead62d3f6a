//! A small, careful XML reader for the few fields of AWS error documents.
//!
//! AWS error bodies are tiny and flat (`<ErrorResponse><Error><Code>…`), so instead of a
//! full parser (which would weigh more than the rest of a plugin) this walks the tags,
//! keeps the stack of open element names (namespace prefixes dropped), and returns the
//! text of the first element whose innermost names match a path. It skips the XML
//! declaration, comments, processing instructions and `<!DOCTYPE>`, reads CDATA, honours
//! quoted `>` in attributes, and decodes the predefined and numeric entities. Anything it
//! cannot read (HTML soup, a body cut short) simply yields `None`.

/// The text of the first element whose innermost open elements are `path` (by local
/// name, case-sensitive), e.g. `["Error", "Code"]` matches `/ErrorResponse/Error/Code`,
/// `/Error/Code` and `/Response/Errors/Error/Code`. Trimmed; `None` when absent, empty
/// or not closed within `doc`.
///
/// ```
/// use netcheck_guest::xml::element_text;
/// let doc = "<Error><Code>PermanentRedirect</Code><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>";
/// assert_eq!(element_text(doc, &["Error", "Endpoint"]).as_deref(), Some("b.s3.eu-west-1.amazonaws.com"));
/// ```
pub fn element_text(doc: &str, path: &[&str]) -> Option<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = doc;
    // Raw text of the element being captured, with the stack depth where it is open.
    let mut capture: Option<(usize, String)> = None;

    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            break;
        };
        if let Some((_, text)) = capture.as_mut() {
            text.push_str(&decode_entities(&rest[..lt]));
        }
        rest = &rest[lt..];

        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>")?;
            if let Some((_, text)) = capture.as_mut() {
                text.push_str(&after[..end]);
            }
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if rest.starts_with("<!") {
            rest = &rest[tag_end(rest)? + 1..];
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>')?;
            let name = local_name(after[..end].trim());
            if let Some((depth, text)) = capture.take() {
                if stack.len() == depth && stack.last() == Some(&name) {
                    let text = text.trim();
                    return (!text.is_empty()).then(|| text.to_string());
                }
                capture = Some((depth, text));
            }
            // Tolerate mismatched closes: drop back to the matching open element, if any.
            if let Some(pos) = stack.iter().rposition(|open| *open == name) {
                stack.truncate(pos);
            }
            rest = &after[end + 1..];
        } else {
            let end = tag_end(rest)?;
            let inner = &rest[1..end];
            let self_closing = inner.ends_with('/');
            let name_end = inner
                .find(|c: char| c.is_whitespace() || c == '/')
                .unwrap_or(inner.len());
            let name = local_name(&inner[..name_end]);
            rest = &rest[end + 1..];
            if name.is_empty() || self_closing {
                continue;
            }
            stack.push(name);
            if capture.is_none() && stack.ends_with(path) {
                capture = Some((stack.len(), String::new()));
            }
        }
    }
    None
}

/// The index of the `>` that ends the tag starting at `tag[0] == '<'`, skipping quoted
/// attribute values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, _) => {}
        }
    }
    None
}

/// `ns:Code` → `Code`.
fn local_name(qualified: &str) -> &str {
    qualified.rsplit(':').next().unwrap_or(qualified)
}

/// Decodes `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#…;`/`&#x…;`; leaves anything
/// else (a stray `&`) as it is.
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest
            .find(';')
            .filter(|semi| *semi <= 10)
            .and_then(|semi| entity(&rest[1..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &[&str] = &["Error", "Code"];

    #[test]
    fn reads_nested_code_with_declaration_and_namespace() {
        let doc = r#"<?xml version="1.0"?>
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code></Error>
            </ErrorResponse>"#;
        assert_eq!(
            element_text(doc, CODE).as_deref(),
            Some("SignatureDoesNotMatch")
        );
    }

    #[test]
    fn matches_only_the_innermost_names() {
        // A `Code` that is not directly inside `Error` is not the error code.
        let doc = "<Error><Detail><Code>no</Code></Detail><Code>yes</Code></Error>";
        assert_eq!(element_text(doc, CODE).as_deref(), Some("yes"));
    }

    #[test]
    fn strips_namespace_prefixes_and_skips_comments() {
        let doc = "<a:Error><!-- <Code>x</Code> --><a:Code>Throttling</a:Code></a:Error>";
        assert_eq!(element_text(doc, CODE).as_deref(), Some("Throttling"));
    }

    #[test]
    fn decodes_entities_and_cdata() {
        let doc = "<Error><Message>a &lt;b&gt; &amp; &#39;c&#x27; &bogus; <![CDATA[<d>]]></Message></Error>";
        assert_eq!(
            element_text(doc, &["Error", "Message"]).as_deref(),
            Some("a <b> & 'c' &bogus; <d>")
        );
    }

    #[test]
    fn quoted_angle_bracket_in_attribute() {
        let doc = r#"<Error note="a>b"><Code>X</Code></Error>"#;
        assert_eq!(element_text(doc, CODE).as_deref(), Some("X"));
    }

    #[test]
    fn absent_empty_self_closing_or_truncated_is_none() {
        assert_eq!(
            element_text("<Error><Message>m</Message></Error>", CODE),
            None
        );
        assert_eq!(element_text("<Error><Code> </Code></Error>", CODE), None);
        assert_eq!(element_text("<Error><Code/></Error>", CODE), None);
        assert_eq!(element_text("<Error><Code>Access", CODE), None);
        assert_eq!(element_text("<Error><Code", CODE), None);
        assert_eq!(element_text("", CODE), None);
    }

    #[test]
    fn html_is_not_an_error_document() {
        let doc =
            "<!DOCTYPE html><html><body><h1>403 Forbidden</h1><code>Error</code></body></html>";
        assert_eq!(element_text(doc, CODE), None);
    }
}
