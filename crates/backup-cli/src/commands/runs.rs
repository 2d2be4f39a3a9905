//! `backupctl runs list` and `backupctl runs show ID`: what the journal holds.

use backup_all::journal::{self, EventRecord, RunRecord, TargetRecord};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{RunsArgs, RunsCommand, StateArgs};
use crate::exit::Exit;
use crate::output::Printer;

pub async fn run(args: RunsArgs, printer: Printer) -> Exit {
    match args.command {
        RunsCommand::List { at, limit } => list(&at, limit, printer).await,
        RunsCommand::Show { id, at } => show(&id, &at, printer).await,
    }
}

async fn open(at: &StateArgs) -> Result<std::sync::Arc<dyn journal::Journal>, Exit> {
    let state = super::journal::state_of(at.state.as_deref(), at.plan.as_deref());
    journal::open_existing(&state)
        .await
        .map_err(|e| super::journal::fail(&e))
}

fn when(at: Option<OffsetDateTime>) -> String {
    at.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

fn run_state(run: &RunRecord) -> &str {
    run.outcome.as_deref().unwrap_or("unfinished")
}

async fn list(at: &StateArgs, limit: u32, printer: Printer) -> Exit {
    let journal = match open(at).await {
        Ok(journal) => journal,
        Err(exit) => return exit,
    };
    let runs = match journal.runs(limit).await {
        Ok(runs) => runs,
        Err(e) => return super::journal::fail(&e),
    };
    if printer.is_json() {
        for run in &runs {
            printer.json(&json!(run));
        }
    } else if printer.is_id() {
        for run in &runs {
            printer.line(&run.id);
        }
    } else {
        printer.line(&format!(
            "{:<24} {:<10} {:<25} {:<25} {:>7} {:>9}  plan",
            "run", "outcome", "started", "ended", "ended", "succeeded"
        ));
        for run in &runs {
            printer.line(&format!(
                "{:<24} {:<10} {:<25} {:<25} {:>3}/{:<3} {:>9}  {}",
                run.id,
                run_state(run),
                when(Some(run.started_at)),
                when(run.ended_at),
                run.ended,
                run.targets,
                run.succeeded,
                run.plan_path
            ));
        }
    }
    Exit::Success
}

async fn show(id: &str, at: &StateArgs, printer: Printer) -> Exit {
    let journal = match open(at).await {
        Ok(journal) => journal,
        Err(exit) => return exit,
    };
    let read = async {
        let run = journal.run(id).await?;
        let targets = journal.targets(id).await?;
        let events = journal.events(id).await?;
        Ok::<_, journal::JournalError>((run, targets, events))
    };
    let (run, targets, events) = match read.await {
        Ok((Some(run), targets, events)) => (run, targets, events),
        Ok((None, ..)) => {
            Printer::stderr(&format!(
                "error: journal {}: no run {id}",
                journal.location()
            ));
            return Exit::Usage;
        }
        Err(e) => return super::journal::fail(&e),
    };
    if printer.is_json() {
        printer.json(&show_json(&run, &targets, &events));
        return Exit::Success;
    }
    if printer.is_id() {
        // The run's operations: what `wait` and `status` take.
        for operation in targets.iter().flat_map(|target| &target.operations) {
            printer.line(&operation.reference.to_string());
        }
        return Exit::Success;
    }
    printer.line(&format!(
        "run {}  {}  plan {} (sha256 {})",
        run.id,
        run_state(&run),
        run.plan_path,
        &run.plan_hash[..run.plan_hash.len().min(12)]
    ));
    printer.line(&format!(
        "started {} by {}, ended {}; {} of {} targets ended, {} succeeded; settings {}",
        when(Some(run.started_at)),
        run.created_by,
        when(run.ended_at),
        run.ended,
        run.targets,
        run.succeeded,
        run.settings
    ));
    for target in &targets {
        printer.line(&target_line(target));
        for event in events
            .iter()
            .filter(|e| e.target.as_deref() == Some(&target.name))
        {
            printer.line(&format!("    {}", event_line(event)));
        }
    }
    let run_events: Vec<&EventRecord> = events.iter().filter(|e| e.target.is_none()).collect();
    if !run_events.is_empty() {
        printer.line("run events:");
        for event in run_events {
            printer.line(&format!("    {}", event_line(event)));
        }
    }
    Exit::Success
}

fn target_line(target: &TargetRecord) -> String {
    let mut line = format!(
        "{}  {}  {}  claims {}",
        target.name, target.vendor, target.state, target.claims
    );
    if let Some(owner) = &target.owner {
        line.push_str(&format!("  worker {owner}"));
    }
    if let Some(at) = target.intent_at {
        line.push_str(&format!("  intent {}", when(Some(at))));
    }
    if let Some(key) = &target.idempotency_key {
        line.push_str(&format!("  idempotency-key {key}"));
    }
    if let Some(recovery) = &target.recovery {
        line.push_str(&format!("  recovery {recovery}"));
    }
    for operation in &target.operations {
        line.push_str(&format!(
            "\n  {}  {}",
            operation.reference, operation.status
        ));
        for produced in &operation.produced {
            line.push_str(&format!(
                "  {} {}",
                produced.kind.replace('_', " "),
                produced.id
            ));
        }
    }
    if let Some(error) = &target.error {
        line.push_str(&format!("\n  error: {}", error.message));
    }
    line
}

fn event_line(event: &EventRecord) -> String {
    let mut line = format!("{}  {:<11}", when(Some(event.at)), event.kind);
    if let Value::Object(detail) = &event.detail {
        for (key, value) in detail {
            match value {
                Value::Null => {}
                Value::String(text) => line.push_str(&format!("  {key}={text}")),
                Value::Array(items) if items.is_empty() => {}
                other => line.push_str(&format!("  {key}={other}")),
            }
        }
    }
    if let Some(worker) = &event.worker {
        line.push_str(&format!("  [{worker}]"));
    }
    line
}

/// `{run, targets: [{..., events}], events}`: the run, each target with its history,
/// and the run's own events.
fn show_json(run: &RunRecord, targets: &[TargetRecord], events: &[EventRecord]) -> Value {
    let targets: Vec<Value> = targets
        .iter()
        .map(|target| {
            let mut value = json!(target);
            let history: Vec<&EventRecord> = events
                .iter()
                .filter(|e| e.target.as_deref() == Some(&target.name))
                .collect();
            if let Some(object) = value.as_object_mut() {
                object.insert("events".to_owned(), json!(history));
            }
            value
        })
        .collect();
    let run_events: Vec<&EventRecord> = events.iter().filter(|e| e.target.is_none()).collect();
    json!({ "run": run, "targets": targets, "events": run_events })
}
