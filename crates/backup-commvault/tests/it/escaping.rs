//! Names holding `<`, `&`, quotes or non-ASCII text are escaped by the XML writer and
//! come back unchanged (snapshot + round trips through XML and JSON).

use backup_commvault::{BackupLevel, CreateTaskReq, TriggerRequest};

fn odd_request() -> TriggerRequest {
    TriggerRequest::new(r#"cl<i>ent & "co" 'x'"#, "Ünïcødé ✓ 日本 <sub>")
        .instance_name("a&amp;b")
        .backupset_name("]]> <![CDATA[ x ]]>")
        .app_name("File System")
        .storage_policy_name("plan \"gold\" & <silver>")
        .backup_level(BackupLevel::Full)
        .ad_hoc(r"C:\dir with spaces\liste'€'.txt")
}

#[test]
fn markup_in_names_is_escaped() {
    let xml = odd_request().to_task().unwrap().to_xml().unwrap();
    insta::assert_snapshot!("escaped_request_xml", xml);
    assert!(
        xml.contains("<clientName>cl&lt;i&gt;ent &amp; &quot;co&quot; &apos;x&apos;</clientName>"),
        "{xml}"
    );
    assert!(
        xml.contains("<instanceName>a&amp;amp;b</instanceName>"),
        "{xml}"
    );
    assert!(xml.contains("Ünïcødé ✓ 日本 &lt;sub&gt;"), "{xml}");
    assert!(
        !xml.contains("<sub>") && !xml.contains("<![CDATA["),
        "{xml}"
    );
}

#[test]
fn xml_round_trip_keeps_every_name() {
    let task = odd_request().to_task().unwrap();
    let back = CreateTaskReq::from_xml(&task.to_xml().unwrap()).unwrap();
    assert_eq!(back, task);
    let association = &back.task_info.associations[0];
    assert_eq!(association.client_name, r#"cl<i>ent & "co" 'x'"#);
    assert_eq!(association.subclient_name, "Ünïcødé ✓ 日本 <sub>");
    assert_eq!(association.instance_name.as_deref(), Some("a&amp;b"));
    assert_eq!(
        association.backupset_name.as_deref(),
        Some("]]> <![CDATA[ x ]]>")
    );
}

#[test]
fn json_round_trip_keeps_every_name() {
    let task = odd_request().to_task().unwrap();
    let back: CreateTaskReq = serde_json::from_str(&task.to_json().unwrap()).unwrap();
    assert_eq!(back, task);
}

#[test]
fn many_odd_names_round_trip() {
    let names = [
        "<",
        ">",
        "&",
        "\"",
        "'",
        "&lt;",
        "a<b>c",
        "Ωμέγα",
        "emoji 🎉",
        "tab\tinside",
        "x ",
        " y",
        "trailing &",
        "<?xml?>",
        "<!-- c -->",
        "\u{a0}nbsp",
    ];
    for name in names {
        let request = TriggerRequest::new(name, name).app_name(name);
        let task = match request.to_task() {
            Ok(task) => task,
            Err(err) => {
                // Only control characters and blank names are refused.
                assert!(name.contains('\t'), "{name:?}: {err}");
                continue;
            }
        };
        let back = CreateTaskReq::from_xml(&task.to_xml().unwrap()).unwrap();
        assert_eq!(back.task_info.associations[0].client_name, name, "{name:?}");
        assert_eq!(
            back.task_info.associations[0].app_name.as_deref(),
            Some(name),
            "{name:?}"
        );
    }
}

/// Found by `tests/properties.rs`: U+2028 (LINE SEPARATOR) written as it is came back
/// as `\n` (XML 1.1 readers, quick-xml's among them, normalise it as a line end), so a
/// subclient named with it was not the one asked for. It is written as `&#x2028;`.
#[test]
fn line_separators_in_names_round_trip() {
    let names = ["A\u{2028}", "\u{2028}B", "x\u{2028}y\u{2029}z &"];
    for name in names {
        let task = TriggerRequest::new(name, "sub")
            .app_name(name)
            .to_task()
            .unwrap();
        let xml = task.to_xml().unwrap();
        assert!(
            !xml.contains('\u{2028}') && xml.contains("&#x2028;"),
            "{xml}"
        );
        let back = CreateTaskReq::from_xml(&xml).unwrap();
        assert_eq!(back, task, "{name:?}");
        assert_eq!(back.task_info.associations[0].client_name, name);
    }
}
