//! Tests over the embedded catalog: counts, crosswalks, id parsing, drift against the sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::*;

fn cat() -> &'static Catalog {
    match try_catalog() {
        Ok(c) => c,
        Err(e) => panic!("embedded catalog does not load: {e}"),
    }
}

fn nist_ids(f: Framework) -> BTreeSet<ControlId> {
    cat()
        .requirements(f)
        .iter()
        .filter_map(Requirement::nist)
        .collect()
}

fn non_nist(f: Framework) -> Vec<ControlRef> {
    cat()
        .requirements(f)
        .iter()
        .filter(|r| r.nist().is_none())
        .map(|r| r.id)
        .collect()
}

fn cid(s: &str) -> ControlId {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn catalog_has_all_1193_ids() {
    let c = cat();
    assert_eq!(c.controls().len(), 1193);
    let withdrawn = c.controls().iter().filter(|c| c.is_withdrawn()).count();
    assert_eq!(withdrawn, 182);
    assert_eq!(
        c.controls()
            .iter()
            .filter(|c| !c.id.is_enhancement())
            .count(),
        323
    );
    for ctl in c.controls() {
        assert_eq!(ctl.statement.is_some(), !ctl.is_withdrawn(), "{}", ctl.id);
        assert!(!ctl.title.is_empty(), "{}", ctl.id);
        if let Some(p) = ctl.parent() {
            assert!(c.control(&p).is_some(), "{}", ctl.id);
        }
    }
    let families: BTreeSet<Family> = c.controls().iter().map(Control::family).collect();
    assert_eq!(families.len(), 20);
    let ac2 = c.control(&cid("AC-2(1)")).map(|c| c.title.as_str());
    assert_eq!(ac2, Some("Automated System Account Management"));
    assert!(c.control(&cid("IA-13(3)")).is_some());
}

#[test]
fn ids_round_trip_for_every_control() {
    let c = cat();
    let mut previous: Option<ControlId> = None;
    for ctl in c.controls() {
        let id = ctl.id;
        assert_eq!(cid(&id.to_string()), id);
        assert_eq!(cid(&id.oscal_id()), id);
        let padded = match id.enhancement_number() {
            Some(e) => format!("{}-{:02}({:02})", id.family(), id.number(), e),
            None => format!("{}-{:02}", id.family(), id.number()),
        };
        assert_eq!(cid(&padded), id, "{padded}");
        assert_eq!(cid(&id.to_string().to_lowercase()), id);
        let parsed = parse_control_ref(&id.to_string());
        if ctl.is_withdrawn() {
            assert!(
                matches!(parsed, Err(ControlIdError::Withdrawn { .. })),
                "{id}"
            );
        } else {
            assert_eq!(parsed, Ok(ControlRef::Nist(id)));
        }
        // Ord is catalog order.
        assert!(previous.is_none_or(|p| p < id), "{id} after {previous:?}");
        previous = Some(id);
    }
}

#[test]
fn baseline_counts_are_exact() {
    let expect = [
        (Framework::NistLow, 149, 0),
        (Framework::NistModerate, 287, 0),
        (Framework::NistHigh, 370, 0),
        (Framework::NistPrivacy, 96, 0),
        (Framework::FedrampLiSaas, 156, 0),
        (Framework::FedrampLow, 156, 0),
        (Framework::FedrampModerate, 323, 0),
        (Framework::FedrampHigh, 410, 0),
        (Framework::DodIl2, 323, 0),
        (Framework::DodIl4, 335, 10),
        (Framework::DodIl4High, 419, 10),
        (Framework::DodIl5, 578, 10),
    ];
    for (f, nist, grr) in expect {
        assert_eq!(nist_ids(f).len(), nist, "{f}");
        assert_eq!(non_nist(f).len(), grr, "{f}");
        assert_eq!(cat().requirements(f).len(), nist + grr, "{f}");
    }
    // The DISA sheet's 345 items = 335 NIST controls + 10 General Readiness Requirements.
    assert_eq!(cat().requirements(Framework::DodIl4).len(), 345);
    let grrs: Vec<String> = non_nist(Framework::DodIl4)
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected: Vec<String> = (1..=10).map(|n| format!("dod:GRR-{n}")).collect();
    assert_eq!(grrs, expected);
}

#[test]
fn frameworks_nest_as_published() {
    let sub = |a: Framework, b: Framework| {
        let (x, y) = (nist_ids(a), nist_ids(b));
        assert!(
            x.is_subset(&y),
            "{a} ⊄ {b}: {:?}",
            x.difference(&y).collect::<Vec<_>>()
        );
    };
    sub(Framework::FedrampModerate, Framework::DodIl4);
    sub(Framework::FedrampHigh, Framework::DodIl4High);
    sub(Framework::FedrampHigh, Framework::DodIl5);
    sub(Framework::DodIl4High, Framework::DodIl5);
    sub(Framework::NistLow, Framework::NistModerate);
    sub(Framework::NistModerate, Framework::NistHigh);
    sub(Framework::FedrampLow, Framework::FedrampModerate);
    sub(Framework::FedrampModerate, Framework::FedrampHigh);
    assert_eq!(
        nist_ids(Framework::DodIl2),
        nist_ids(Framework::FedrampModerate)
    );
    let added = nist_ids(Framework::DodIl4).len() - nist_ids(Framework::FedrampModerate).len();
    assert_eq!(added, 12);
}

#[test]
fn fedramp_and_dod_parameter_values() {
    let find = |f: Framework, id: &str| {
        let id = ControlRef::Nist(cid(id));
        cat().requirements(f).iter().find(|r| r.id == id).cloned()
    };
    let Some(ac1) = find(Framework::FedrampModerate, "AC-1") else {
        panic!("AC-1 missing from fedramp-moderate")
    };
    assert_eq!(ac1.title, "Policy and Procedures");
    assert!(
        ac1.parameters
            .iter()
            .any(|p| p.source == ParameterSource::Fedramp
                && p.odp.as_ref().is_some_and(|o| o.0 == "ac-01_odp.05")
                && p.values == ["at least every 3 years"])
    );
    // DoD IL4 keeps FedRAMP Moderate's values and adds the DoD FedRAMP+ parameter text.
    let Some(ps4) = find(Framework::DodIl4, "PS-4") else {
        panic!("PS-4 missing from dod-il4")
    };
    let dod: Vec<&str> = ps4
        .parameters
        .iter()
        .filter(|p| p.source == ParameterSource::Dod)
        .flat_map(|p| p.values.iter().map(String::as_str))
        .collect();
    assert_eq!(dod, ["CSP/CSO may use FedRAMP value."]);
    assert!(
        ps4.parameters
            .iter()
            .any(|p| p.source == ParameterSource::Fedramp)
    );
    let dod_controls = cat()
        .requirements(Framework::DodIl4)
        .iter()
        .filter(|r| {
            r.parameters
                .iter()
                .any(|p| p.source == ParameterSource::Dod)
        })
        .count();
    assert_eq!(dod_controls, 17);
    let il2_dod = cat()
        .requirements(Framework::DodIl2)
        .iter()
        .flat_map(|r| &r.parameters)
        .filter(|p| p.source == ParameterSource::Dod)
        .count();
    assert_eq!(il2_dod, 0);
    let with_reqs = cat()
        .requirements(Framework::FedrampHigh)
        .iter()
        .filter(|r| !r.additional.is_empty())
        .count();
    assert_eq!(with_reqs, 97);
    let tailored = cat()
        .requirements(Framework::FedrampLiSaas)
        .iter()
        .filter(|r| !r.li_saas.is_empty())
        .count();
    assert_eq!(tailored, 156);
    let grr1 = cat().requirement(&ControlRef::DodGrr(
        "GRR-1".parse().unwrap_or_else(|e| panic!("{e}")),
    ));
    assert_eq!(
        grr1.map(|r| r.title.as_str()),
        Some("DoD PKI authentication")
    );
}

#[test]
fn soc2_criteria_and_aicpa_edges() {
    let reqs = cat().requirements(Framework::Soc2);
    assert_eq!(reqs.len(), 61);
    let edges: Vec<&InformsEdge> = reqs.iter().flat_map(|r| &r.informs).collect();
    assert!(edges.iter().all(|e| e.source == CrosswalkSource::Aicpa));
    let controls: BTreeSet<ControlId> = edges.iter().map(|e| e.control).collect();
    assert_eq!(controls.len(), 1007);
    // 1,439 rows: 12 "None" rows and 1,427 mapped rows, which merge (statement items per
    // control) into 1,033 criterion-control edges.
    assert_eq!(edges.len(), 1033);
    // The AICPA maps these criteria to no 800-53 control: they are listed, not failed.
    let unmapped: Vec<String> = reqs
        .iter()
        .filter(|r| r.informs.is_empty())
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(
        unmapped,
        [
            "soc2:CC1.2",
            "soc2:CC3.3",
            "soc2:C1.1",
            "soc2:PI1.1",
            "soc2:PI1.5",
            "soc2:P2.1",
            "soc2:P4.2",
            "soc2:P6.1",
            "soc2:P6.3",
            "soc2:P6.4",
            "soc2:P6.5",
            "soc2:P6.6",
        ]
    );
    let cc61 = cat().requirement(&parse("soc2:CC6.1"));
    assert!(cc61.is_some_and(|r| r.informs.iter().any(|e| e.control == cid("AC-3"))));
}

#[test]
fn hipaa_specifications_and_olir_edges() {
    let reqs = cat().requirements(Framework::Hipaa);
    let standards = reqs
        .iter()
        .filter(|r| r.hipaa == Some(HipaaKind::Standard))
        .count();
    assert_eq!(standards, 22);
    assert_eq!(reqs.len(), 22 + 47);
    let count = |imp: Implementation, sections: &[u16]| {
        reqs.iter()
            .filter(|r| matches!(r.hipaa, Some(HipaaKind::Specification { implementation, .. }) if implementation == imp))
            .filter(|r| matches!(r.id, ControlRef::Hipaa(h) if sections.contains(&h.section())))
            .count()
    };
    assert_eq!(count(Implementation::Required, &[308, 310, 312]), 14);
    assert_eq!(count(Implementation::Addressable, &[308, 310, 312]), 22);

    let edges: Vec<&InformsEdge> = reqs.iter().flat_map(|r| &r.informs).collect();
    assert_eq!(edges.len(), 279);
    assert!(
        edges
            .iter()
            .all(|e| e.source == CrosswalkSource::NistOlir && e.parts.is_empty())
    );
    let controls: BTreeSet<ControlId> = edges.iter().map(|e| e.control).collect();
    assert_eq!(controls.len(), 108);
    let unmapped: Vec<String> = reqs
        .iter()
        .filter(|r| r.informs.is_empty())
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(unmapped, ["hipaa:164.314(a)(2)(i)(C)"]);

    let technical = cat().requirements(Framework::HipaaTechnical);
    assert_eq!(technical.len(), 12);
    assert!(
        technical
            .iter()
            .all(|r| matches!(r.id, ControlRef::Hipaa(h) if h.section() == 312))
    );
    assert!(technical.iter().all(|t| reqs.contains(t)));
}

#[test]
fn every_crosswalk_id_resolves_and_none_is_withdrawn() {
    let c = cat();
    for f in Framework::all() {
        for r in c.requirements(*f) {
            for id in r
                .nist()
                .into_iter()
                .chain(r.informs.iter().map(|e| e.control))
            {
                let ctl = c.control(&id);
                assert!(ctl.is_some_and(|c| !c.is_withdrawn()), "{f} {}: {id}", r.id);
            }
            assert_eq!(c.check(r.id), Ok(r.id), "{f}");
        }
    }
}

#[test]
fn control_baselines_are_filled_in() {
    let ac1 = cat()
        .control(&cid("AC-1"))
        .map(|c| c.baselines.clone())
        .unwrap_or_default();
    for f in [
        Framework::NistLow,
        Framework::FedrampLiSaas,
        Framework::DodIl5,
    ] {
        assert!(ac1.contains(&f), "{f}");
    }
    assert!(!ac1.contains(&Framework::Soc2));
    let ia13 = cat().control(&cid("IA-13")).map(|c| c.baselines.len());
    assert_eq!(ia13, Some(0));
}

fn parse(s: &str) -> ControlRef {
    parse_control_ref(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn spellings_resolve_to_one_typed_id() {
    for s in ["AC-2(1)", "ac-2.1", "AC-02(01)", "nist:AC-2(1)"] {
        assert_eq!(parse(s), ControlRef::Nist(cid("AC-2(1)")), "{s}");
    }
    assert_eq!(parse("soc2:CC6.1").to_string(), "soc2:CC6.1");
    assert_eq!(
        parse("hipaa:164.312(a)(1)").to_string(),
        "hipaa:164.312(a)(1)"
    );
    // NIST CPRT ids resolve to the current eCFR citation.
    assert_eq!(parse("hipaa:164.312(a)").to_string(), "hipaa:164.312(a)(1)");
    assert_eq!(
        parse("hipaa:164.308(a)(1)").to_string(),
        "hipaa:164.308(a)(1)(i)"
    );
    assert_eq!(
        parse("hipaa:164.308(b)(4)").to_string(),
        "hipaa:164.308(b)(3)"
    );
    assert_eq!(parse("dod:grr-7").to_string(), "dod:GRR-7");
}

#[test]
fn withdrawn_ids_name_their_replacement() {
    let err = |s: &str| match parse_control_ref(s) {
        Err(e @ ControlIdError::Withdrawn { .. }) => e,
        other => panic!("{s}: {other:?}"),
    };
    let e = err("AC-3(1)");
    assert_eq!(
        e.to_string(),
        "`AC-3(1)` (Restricted Access to Privileged Functions) was withdrawn from NIST SP 800-53 rev5: incorporated into `AC-6`"
    );
    assert_eq!(e.help().as_deref(), Some("cite `AC-6` instead"));
    assert!(err("AT-3(4)").to_string().ends_with("moved to `AT-2(4)`"));
    assert!(
        err("ac-2.10")
            .to_string()
            .ends_with("incorporated into `AC-2` item k")
    );
    assert!(
        err("AC-3(6)")
            .to_string()
            .ends_with("incorporated into `MP-4`, `SC-28`")
    );
    assert!(
        err("SA-12")
            .to_string()
            .ends_with("incorporated into the `SR` family")
    );
    let removed = err("CP-10(3)");
    assert!(
        removed
            .to_string()
            .ends_with("no replacement (addressed through tailoring)")
    );
    assert_eq!(removed.help(), None);
    match err("AU-8(1)") {
        ControlIdError::Withdrawn {
            withdrawal: Withdrawal::MovedTo(t),
            ..
        } => {
            assert_eq!(t, [WithdrawnTarget::Control(cid("SC-45(1)"))]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_ids_get_a_did_you_mean() {
    let suggestion = |s: &str| match parse_control_ref(s) {
        Err(ControlIdError::Unknown { suggestion, .. }) => suggestion.map(|s| s.to_string()),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(suggestion("SC-77").as_deref(), Some("SC-7"));
    assert_eq!(suggestion("AC-2(99)").as_deref(), Some("AC-2(9)"));
    assert_eq!(suggestion("soc2:CC6.9").as_deref(), Some("soc2:CC6.1"));
    assert_eq!(suggestion("soc2:CC10.1").as_deref(), Some("soc2:CC1.1"));
    assert_eq!(suggestion("dod:GRR-11").as_deref(), Some("dod:GRR-1"));
    assert_eq!(
        suggestion("hipaa:164.312(f)").as_deref(),
        Some("hipaa:164.312(b)")
    );
    assert_eq!(suggestion("SR-999(99)"), None);
    let msg = parse_control_ref("SC-77").err().map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("unknown control id `SC-77`; did you mean `SC-7`?")
    );
    // A suggestion is never a withdrawn control: AC-2(10) is withdrawn.
    assert_ne!(suggestion("AC-2(100)").as_deref(), Some("AC-2(10)"));
}

#[test]
fn malformed_ids_are_reported_as_such() {
    for s in [
        "",
        "AC",
        "XX-1",
        "AC-2k",
        "CC6.1",
        "iso:A.5",
        "AC-2(1",
        "hipaa:164.312(z)(9)(q)",
    ] {
        assert!(
            matches!(parse_control_ref(s), Err(ControlIdError::Malformed { .. })),
            "{s:?}"
        );
    }
    let msg = parse_control_ref("CC6.1").err().map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("malformed control id `CC6.1`: bare ids are NIST SP 800-53; write `soc2:CC6.1`")
    );
}

#[test]
fn parsing_never_panics() {
    // A deterministic spray of near-miss inputs: every prefix and byte-level mutation of some ids.
    let seeds = [
        "AC-2(1)",
        "soc2:CC6.1",
        "hipaa:164.312(a)(2)(iv)",
        "dod:GRR-10",
        "PE-*",
        "AC-2(*)",
    ];
    let alphabet = [
        '(', ')', '.', '-', ':', '*', '0', '9', 'a', 'Z', ' ', 'é', '\u{0}',
    ];
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..=chars.len() {
            let prefix: String = chars[..i].iter().collect();
            let _ = parse_control_ref(&prefix);
            let _ = prefix.parse::<ControlPattern>();
            for c in alphabet {
                let mut m = chars.clone();
                if i < m.len() {
                    m[i] = c;
                } else {
                    m.push(c);
                }
                let s: String = m.iter().collect();
                let _ = parse_control_ref(&s);
                let _ = s.parse::<ControlPattern>();
                let _ = Framework::from_id(&s);
            }
        }
    }
}

#[test]
fn patterns_expand_over_the_catalog() {
    let c = cat();
    let expand = |s: &str| {
        let p: ControlPattern = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
        c.expand(&p)
    };
    let pe = expand("PE-*").unwrap_or_default();
    let live_pe = c
        .controls()
        .iter()
        .filter(|x| x.family() == Family::Pe && !x.is_withdrawn())
        .count();
    assert_eq!(pe.len(), live_pe);
    assert!(pe.contains(&cid("PE-3")) && pe.contains(&cid("PE-3(1)")));
    let ac2 = expand("AC-2(*)").unwrap_or_default();
    assert_eq!(ac2.len(), 12); // AC-2(1)..(13) without the withdrawn AC-2(10)
    assert!(!ac2.contains(&cid("AC-2")) && !ac2.contains(&cid("AC-2(10)")));
    assert!(matches!(
        expand("SA-12(*)"),
        Err(ControlIdError::Withdrawn { .. })
    ));
    assert!(matches!(
        expand("AC-99(*)"),
        Err(ControlIdError::Unknown { .. })
    ));
    assert_eq!(expand("AC-1(*)"), Ok(Vec::new()));
}

#[test]
fn patterns_that_name_no_current_control_are_errors() {
    let p = |s: &str| crate::parse_control_pattern(s);
    for ok in ["PE-*", "pe-*", "AC-2(*)", "ac-2.*", "nist:SC-7(*)"] {
        assert!(p(ok).is_ok(), "{ok}: {:?}", p(ok));
    }
    for withdrawn in ["SA-12(*)", "sa-12.*", "sa-12(*)"] {
        assert!(
            matches!(p(withdrawn), Err(ControlIdError::Withdrawn { .. })),
            "{withdrawn}"
        );
    }
    for unknown in ["AC-99(*)", "ac-99.*"] {
        assert!(
            matches!(p(unknown), Err(ControlIdError::Unknown { .. })),
            "{unknown}"
        );
    }
    let empty = p("AC-1(*)");
    assert!(matches!(empty, Err(ControlIdError::EmptyPattern { .. })));
    let e = empty.err().map(|e| (e.to_string(), e.help()));
    assert_eq!(
        e,
        Some((
            "pattern `AC-1(*)` matches no current NIST SP 800-53 rev5 control".to_string(),
            Some("cite `AC-1` itself".to_string())
        ))
    );
    assert!(matches!(p("XX-*"), Err(ControlIdError::Malformed { .. })));
}

fn frameworks_doc(fw: FrameworkData) -> String {
    let doc = FrameworksDoc {
        format: FORMAT.to_string(),
        kind: DocKind::Frameworks,
        sources: Vec::new(),
        frameworks: vec![fw],
    };
    serde_json::to_string(&doc).unwrap_or_else(|e| panic!("{e}"))
}

/// One document of a `--controls-dir` as the CLI hands it over.
fn doc(name: &str, text: &str) -> (PathBuf, String) {
    (Path::new("/dir").join(name), text.to_string())
}

#[test]
fn overlay_replaces_newer_frameworks() {
    let mut low = cat()
        .framework(Framework::FedrampLow)
        .cloned()
        .unwrap_or_else(|| panic!("no fedramp-low"));
    low.version = "test".to_string();
    low.requirements.truncate(10);
    let docs = [doc("fedramp-low.json", &frameworks_doc(low))];
    let loaded = Catalog::overlay(Path::new("/dir"), &docs).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.requirements(Framework::FedrampLow).len(), 10);
    assert_eq!(loaded.requirements(Framework::FedrampHigh).len(), 410);
    assert_eq!(loaded.controls().len(), 1193);
    // The whole compact form is itself a valid set of documents, in any order.
    let compact = [
        doc("frameworks.json", embedded::FRAMEWORKS_JSON),
        doc("catalog.json", embedded::CATALOG_JSON),
    ];
    let compact = Catalog::overlay(Path::new("/dir"), &compact).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compact.requirements(Framework::DodIl5).len(), 588);
}

#[test]
fn overlay_errors_are_clear() {
    assert!(matches!(
        Catalog::overlay(Path::new("/dir"), &[]),
        Err(LoadError::Empty { .. })
    ));

    let e = Catalog::overlay(Path::new("/dir"), &[doc("x.json", "{ not json")])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("x.json") && e.contains("line 1"), "{e}");

    let mut low = cat()
        .framework(Framework::FedrampLow)
        .cloned()
        .unwrap_or_else(|| panic!("no fedramp-low"));
    low.requirements
        .push(Requirement::new(ControlRef::Nist(cid("AC-3(1)"))));
    low.requirements
        .push(Requirement::new(ControlRef::Nist(cid("AC-99"))));
    let bad = [doc("fedramp-low.json", &frameworks_doc(low))];
    match Catalog::overlay(Path::new("/dir"), &bad) {
        Err(LoadError::Invalid { problems, .. }) => {
            assert_eq!(
                problems,
                [
                    "`fedramp-low` names unknown `AC-99`",
                    "`fedramp-low` names withdrawn `AC-3(1)`"
                ]
            );
        }
        other => panic!("{other:?}"),
    }

    let wrong_format = [doc(
        "a.json",
        r#"{"format":"posture-controls/99","kind":"frameworks"}"#,
    )];
    let e = Catalog::overlay(Path::new("/dir"), &wrong_format)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("posture-controls/99"), "{e}");

    let two = [
        doc("b.json", embedded::CATALOG_JSON),
        doc("a.json", embedded::CATALOG_JSON),
    ];
    let e = Catalog::overlay(Path::new("/dir"), &two)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("two catalog documents: `/dir/a.json` and `/dir/b.json`"),
        "{e}"
    );
}
