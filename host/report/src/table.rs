//! The table for people: one row per check in plan order, then a summary line.
//!
//! ```text
//! STATUS  CHECK         TARGET                                REASON         DETAIL                   TIME
//! ──────────────────────────────────────────────────────────────────────────────────────────────────────
//! PASS    aws-core/sts  https://sts.eu-west-1.amazonaws.com/  ok             GetCallerIdentity        41 ms
//!                                                                            answered
//! FAIL    aws-core/kms  https://kms.eu-west-1.amazonaws.com/  access-denied  kms:ListKeys was denied  52 ms
//!                                                                            → allow kms:ListKeys
//! 1 passed, 0 warned, 1 failed in 1.2 s
//! ```
//!
//! A WHERE column (the result's location) appears only when some result did not run
//! locally. With a width, the URL and detail columns wrap so lines fit it.
//!
//! Colour is applied after layout (to the status word, header and summary counts), so the
//! table needs no terminal library; with `color == false` the text has no escape codes.

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width};
use console::Style;
use netcheck_runner_api::{CheckResult, Status};

use super::Report;
use super::summary::{Summary, human_duration, human_ms};
use super::text::clean;

/// Only the header underline: columns are separated by their padding.
const PRESET: &str = "     ──            ";

/// Renders the report as a table. `width` (terminal columns) turns on wrapping to fit;
/// `None` keeps every cell on its lines (for pipes and files).
pub fn table(r: &Report, color: bool, width: Option<u16>) -> String {
    let mut out = String::new();
    if let Some(region) = r.region {
        out.push_str(&format!(
            "runner {} · region {} ({})\n",
            clean(r.runner, false),
            clean(&region.name, false),
            region.source
        ));
    }
    if r.results.is_empty() {
        out.push_str("No checks ran.\n");
    } else {
        out.push_str(&grid(r.results, color, width));
        out.push('\n');
    }
    out.push_str(&summary_line(&r.summary(), r, color));
    out.push('\n');
    out
}

fn grid(results: &[CheckResult], color: bool, width: Option<u16>) -> String {
    let show_where = results.iter().any(|r| r.location != "local");
    let mut header = vec!["STATUS", "CHECK"];
    if show_where {
        header.push("WHERE");
    }
    header.extend(["TARGET", "REASON", "DETAIL", "TIME"]);

    let rows: Vec<Vec<String>> = results.iter().map(|r| row(r, show_where)).collect();
    let mut t = Table::new();
    t.load_preset(PRESET)
        .set_header(header.clone())
        .set_content_arrangement(ContentArrangement::Disabled);
    for cells in &rows {
        t.add_row(cells.iter().map(Cell::new).collect::<Vec<_>>());
    }
    let widths = width.and_then(|w| column_widths(&header, &rows, w));
    for i in 0..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_padding((0, 1));
            if let Some(w) = widths.as_ref().and_then(|ws| ws.get(i)) {
                // An absolute width includes the column's padding.
                c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                    w.saturating_add(1),
                )));
            }
        }
    }
    if widths.is_some() {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }

    let lines: Vec<String> = t.lines().map(|l| l.trim_end().to_string()).collect();
    if !color {
        return lines.join("\n");
    }
    let bold = Style::new().bold().force_styling(true);
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                bold.apply_to(line).to_string()
            } else {
                color_status(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most characters of one field a table cell shows; the JSON output has it all.
/// (Laying out a table is not linear in a cell's length: a megabyte-long name would
/// never finish.)
const CELL_CHARS: usize = 1000;

/// The cells of one result's row, cleaned of control characters and capped.
fn row(r: &CheckResult, show_where: bool) -> Vec<String> {
    let mut cells = vec![
        status_word(r.status).to_string(),
        fit(&format!("{}/{}", r.set, r.name)),
    ];
    if show_where {
        cells.push(fit(&r.location));
    }
    let mut detail = fit(&r.message);
    if let Some(h) = &r.hint {
        detail.push_str("\n→ ");
        detail.push_str(&fit(h));
    }
    cells.extend([fit(&r.url), fit(&r.reason), detail, human_ms(r.duration_ms)]);
    cells
}

/// `text` cleaned, and cut at [`CELL_CHARS`] characters with a note of what was left out.
fn fit(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(CELL_CHARS) {
        None => clean(text, false),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!(
                "{}… ({rest} more characters: see --output json)",
                clean(&text[..cut], false)
            )
        }
    }
}

/// Column content widths that fit `total` terminal columns, or `None` when everything fits
/// unwrapped. Status and time never wrap; check names, locations and reasons are capped;
/// the URL gets up to two fifths of what is left and the detail the rest.
fn column_widths(header: &[&str], rows: &[Vec<String>], total: u16) -> Option<Vec<u16>> {
    let natural: Vec<usize> = (0..header.len())
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i)).map(String::as_str);
            std::iter::once(header[i])
                .chain(cells)
                .flat_map(str::lines)
                .map(console::measure_text_width)
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Each column is followed by one space of padding and, but the last, one separator.
    let overhead = 2 * header.len() - 1;
    let avail = usize::from(total).saturating_sub(overhead);
    if natural.iter().sum::<usize>() <= avail {
        return None;
    }
    let mut widths = natural.clone();
    let (mut target, mut detail) = (None, None);
    for (i, name) in header.iter().enumerate() {
        match *name {
            "CHECK" => widths[i] = natural[i].min(28),
            "WHERE" => widths[i] = natural[i].min(24),
            "REASON" => widths[i] = natural[i].min(22),
            "TARGET" => target = Some(i),
            "DETAIL" => detail = Some(i),
            _ => {}
        }
    }
    let (target, detail) = (target?, detail?);
    let fixed = |widths: &[usize]| -> usize {
        let flexible = [target, detail];
        widths
            .iter()
            .enumerate()
            .filter(|(i, _)| !flexible.contains(i))
            .map(|(_, w)| w)
            .sum()
    };
    // On narrow terminals, take columns from the capped ones (down to 8) before the URL
    // and detail drop below 24 together.
    const MIN_FLEX: usize = 24;
    let shrinkable: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(**n, "CHECK" | "WHERE" | "REASON"))
        .map(|(i, _)| i)
        .collect();
    while fixed(&widths) + MIN_FLEX > avail {
        let Some(&widest) = shrinkable
            .iter()
            .filter(|&&i| widths[i] > 8)
            .max_by_key(|&&i| widths[i])
        else {
            break;
        };
        widths[widest] -= 1;
    }
    let flex = avail.saturating_sub(fixed(&widths)).max(MIN_FLEX);
    let mut target_w = natural[target].min((flex * 2 / 5).max(12));
    let mut detail_w = flex.saturating_sub(target_w);
    if natural[detail] < detail_w {
        detail_w = natural[detail];
        target_w = natural[target].min(flex - detail_w);
    }
    widths[target] = target_w;
    widths[detail] = detail_w.max(1);
    Some(
        widths
            .into_iter()
            .map(|w| u16::try_from(w.max(1)).unwrap_or(u16::MAX))
            .collect(),
    )
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    }
}

fn status_style(s: Status) -> Style {
    let style = Style::new().force_styling(true);
    match s {
        Status::Pass => style.green(),
        Status::Warn => style.yellow(),
        Status::Fail => style.red().bold(),
    }
}

/// Colours the status word that starts a row's first line; other lines start with padding.
fn color_status(line: &str) -> String {
    let body = line.trim_start_matches(' ');
    let indent = &line[..line.len() - body.len()];
    for s in [Status::Pass, Status::Warn, Status::Fail] {
        let word = status_word(s);
        if let Some(rest) = body.strip_prefix(word)
            && (rest.is_empty() || rest.starts_with(' '))
        {
            return format!("{indent}{}{rest}", status_style(s).apply_to(word));
        }
    }
    line.to_string()
}

fn summary_line(s: &Summary, r: &Report, color: bool) -> String {
    let part = |n: usize, word: &str, status: Status| {
        let text = format!("{n} {word}");
        if color && n > 0 {
            status_style(status).apply_to(text).to_string()
        } else {
            text
        }
    };
    format!(
        "{}, {}, {} in {}",
        part(s.pass, "passed", Status::Pass),
        part(s.warn, "warned", Status::Warn),
        part(s.fail, "failed", Status::Fail),
        human_duration(r.duration)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{report, sample};

    #[test]
    fn rows_follow_plan_order_with_summary() {
        let results = sample();
        let text = table(&report(&results), false, None);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("STATUS") && lines[0].contains("DETAIL"),
            "{text}"
        );
        let order: Vec<usize> = ["aws-core/sts", "aws-core/kms", "web/health", "db/orders"]
            .iter()
            .map(|n| text.find(n).unwrap_or(usize::MAX))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{text}");
        assert_eq!(lines.last(), Some(&"1 passed, 1 warned, 2 failed in 1.2 s"));
        assert!(text.contains("→ allow kms:ListKeys"), "{text}");
    }

    #[test]
    fn no_escape_codes_without_colour_and_status_coloured_with_it() {
        let results = sample();
        let plain = table(&report(&results), false, Some(100));
        assert!(!plain.contains('\x1b'), "{plain}");
        let coloured = table(&report(&results), true, Some(100));
        assert!(coloured.contains("\x1b[32mPASS\x1b[0m"), "{coloured}");
        assert!(coloured.contains("FAIL\x1b[0m"), "{coloured}");
        // Layout is identical once the colour is stripped.
        assert_eq!(console::strip_ansi_codes(&coloured), plain);
    }

    #[test]
    fn where_column_only_for_remote_results() {
        let mut results = sample();
        let local = table(&report(&results), false, None);
        assert!(!local.contains("WHERE"), "{local}");
        results[1].location = "subnet-0abc".into();
        let remote = table(&report(&results), false, None);
        assert!(
            remote.contains("WHERE") && remote.contains("subnet-0abc"),
            "{remote}"
        );
    }

    #[test]
    fn wraps_to_the_given_width() {
        let mut results = sample();
        results[0].message = "word ".repeat(60);
        let text = table(&report(&results), false, Some(100));
        for line in text.lines() {
            assert!(
                console::measure_text_width(line) <= 100,
                "too wide: {line:?}"
            );
        }
        assert!(text.lines().count() > results.len() + 4, "{text}");
    }

    #[test]
    fn control_characters_from_servers_are_neutralised() {
        let mut results = sample();
        results[0].message = "evil\x1b]0;title\x07 text".into();
        let text = table(&report(&results), false, None);
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }

    #[test]
    fn the_header_names_the_region_and_its_source() {
        let results = sample();
        let region = netcheck_config::region::Region {
            name: "us-east-1".into(),
            source: netcheck_config::region::RegionSource::Default,
        };
        let mut r = report(&results);
        r.region = Some(&region);
        let text = table(&r, false, None);
        assert_eq!(
            text.lines().next(),
            Some("runner local · region us-east-1 (default)")
        );
        assert!(text.lines().nth(1).unwrap().contains("STATUS"), "{text}");
    }

    #[test]
    fn a_megabyte_long_name_and_url_render_capped_and_fast() {
        let mut results = sample();
        results[0].name = "n".repeat(1 << 20);
        results[0].url = format!("https://example.com/{}", "p".repeat(1 << 20));
        // Uncapped, this layout took minutes (it is not linear in a cell's length).
        let text = table(&report(&results), false, None);
        assert!(
            text.contains("more characters: see --output json"),
            "not capped"
        );
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        let wrapped = table(&report(&results), false, Some(120));
        assert!(wrapped.len() < 64 * 1024, "{} bytes", wrapped.len());
    }

    #[test]
    fn empty_report_says_so() {
        let text = table(&report(&[]), false, None);
        assert_eq!(
            text,
            "No checks ran.\n0 passed, 0 warned, 0 failed in 1.2 s\n"
        );
    }
}
