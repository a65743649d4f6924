//! `docs/coverage.md` must list exactly the KMIP operations the dispatcher answers.

use kmip_server::dispatch::supported_operations;
use kmip_server::ttlv::enums::Operation;
use std::collections::BTreeSet;

#[test]
fn coverage_table_matches_the_operation_table() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/coverage.md")).unwrap();
    let start = doc.find("## KMIP operations").expect("section present");
    let rows: Vec<Vec<String>> = doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let documented: BTreeSet<String> = rows
        .iter()
        .filter(|r| r[3] == "supported")
        .map(|r| r[1].clone())
        .collect();
    let offered: BTreeSet<String> = supported_operations()
        .into_iter()
        .map(|op| op.name().expect("a named operation").to_string())
        .collect();
    assert!(offered.len() > 20);
    assert_eq!(documented, offered, "docs/coverage.md vs ops::OPERATIONS");
    // Every operation KMIP 2.1 names has a row.
    let listed: BTreeSet<String> = rows.iter().map(|r| r[1].clone()).collect();
    for (_, name) in Operation::VALUES {
        assert!(listed.contains(*name), "no row for {name}");
    }
}
