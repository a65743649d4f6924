//! `docs/coverage.md` must say exactly what the mechanism table offers.

use std::collections::BTreeSet;

fn section_rows(doc: &str, heading: &str) -> Vec<(String, String)> {
    let start = doc.find(heading).expect("section present");
    doc[start + heading.len()..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_string(), cells[2].to_string())
        })
        .collect()
}

#[test]
fn coverage_table_matches_the_mechanism_table() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/coverage.md")).unwrap();
    let documented: BTreeSet<String> = section_rows(&doc, "## Mechanisms")
        .into_iter()
        .filter(|(_, status)| status == "supported")
        .map(|(name, _)| name)
        .collect();
    let offered: BTreeSet<String> = softhsm::mechanism::MECHANISMS
        .iter()
        .map(|m| m.name.to_string())
        .collect();
    assert!(!offered.is_empty());
    let missing: Vec<_> = offered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&offered).collect();
    assert!(
        missing.is_empty(),
        "offered but not in docs/coverage.md: {missing:?}"
    );
    assert!(extra.is_empty(), "in docs/coverage.md but not offered: {extra:?}");
}
