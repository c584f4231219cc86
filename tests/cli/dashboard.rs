//! `flagctl stale` and `flagctl report -o DIR` (SPEC §8) on a small git repository whose commits
//! are backdated, so ages, lifetimes, propagation lag and toggles are known in advance. The
//! page is rendered in headless Chromium when it is installed (under `CI=true` it must be).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::support::{Repo, findings, project_root, snapshots};

/// `FLAGCTL_NOW`: after every commit.
const NOW: &str = "2026-12-31T00:00:00Z";

const CONFIG: &str = "\
environments:
  - name: dev
  - name: staging
  - name: prod
    max_lag: 14d
kinds:
  release: 40d
  experiment: 40d
  ops: permanent
  permission: permanent
";

fn flag(name: &str, version: &str, kind: &str, lifecycle: &str, tail: &str) -> String {
    format!(
        "name: {name}\nversion: {version}\ndescription: The {name} flag\nowner: team-web\nkind: {kind}\nlifecycle: {lifecycle}\ntype: boolean\n{tail}"
    )
}

/// Writes `rel` in every environment of `envs`.
fn everywhere<'r>(repo: &'r Repo, envs: &[&str], rel: &str, text: &str) -> &'r Repo {
    for env in envs {
        repo.write(&format!("flags/{env}/{rel}"), text);
    }
    repo
}

/// Commits everything at noon UTC on `day`, with a reason trailer.
fn commit<'r>(repo: &'r Repo, day: &str, subject: &str, reason: &str) -> &'r Repo {
    repo.at(&format!("{day}T12:00:00Z"));
    repo.commit_with(subject, &[&format!("Flagctl-Reason: {reason}")]);
    repo
}

/// The history every test reads:
/// - `feature_old` (release) since January, on for everyone everywhere and never touched: past
///   its lifetime and rolled out;
/// - `ops_kill` (ops, permanent) as old and as rolled out: never stale;
/// - `feature_sunset` expired on 2026-06-01 (and off everywhere since January: rolled out);
///   `feature_legacy` deprecated yet on in prod;
/// - `experiment_new` (experiment, 50/50) added in December: fresh;
/// - `feature_promo` 1.1.0 reached dev on 2026-12-01, staging three days later and is not in prod
///   yet (17 days behind, past prod's max_lag of 14 days);
/// - `feature_toggled`, toggled in dev three times and in prod once;
/// - `feature_xss`, whose description and owner are markup.
const ENVS: [&str; 3] = ["dev", "staging", "prod"];
const FLAGS: [&str; 8] = [
    "experiment_new",
    "feature_legacy",
    "feature_old",
    "feature_promo",
    "feature_sunset",
    "feature_toggled",
    "feature_xss",
    "ops_kill",
];

fn history() -> Repo {
    let repo = Repo::with_git();
    repo.set_now(NOW).write("flagctl.yaml", CONFIG);
    everywhere(
        &repo,
        &ENVS,
        "web/feature_old.yaml",
        &flag(
            "feature_old",
            "1.0.0",
            "release",
            "approved",
            "enabled: true\n",
        ),
    );
    everywhere(
        &repo,
        &ENVS,
        "ops_kill.yaml",
        &flag("ops_kill", "1.0.0", "ops", "approved", "enabled: true\n"),
    );
    everywhere(
        &repo,
        &ENVS,
        "feature_sunset.yaml",
        &flag(
            "feature_sunset",
            "1.0.0",
            "release",
            "approved",
            "expires: 2026-06-01\nenabled: false\nrollout: { \"on\": 10, \"off\": 90 }\n",
        ),
    );
    let toggled = |on: bool| {
        flag(
            "feature_toggled",
            "1.0.0",
            "ops",
            "approved",
            if on {
                "enabled: true\n"
            } else {
                "enabled: false\n"
            },
        )
    };
    everywhere(&repo, &ENVS, "feature_toggled.yaml", &toggled(false));
    everywhere(
        &repo,
        &ENVS,
        "feature_promo.yaml",
        &flag(
            "feature_promo",
            "1.0.0",
            "ops",
            "approved",
            "enabled: false\n",
        ),
    );
    commit(&repo, "2026-01-05", "Import the flags", "initial import");
    let legacy = flag(
        "feature_legacy",
        "1.0.0",
        "ops",
        "deprecated",
        "enabled: true\n",
    );
    everywhere(
        &repo,
        &ENVS,
        "feature_legacy.yaml",
        &legacy.replace("enabled: true", "enabled: false"),
    );
    repo.write("flags/prod/feature_legacy.yaml", &legacy);
    everywhere(
        &repo,
        &ENVS,
        "feature_xss.yaml",
        "name: feature_xss\nversion: 1.0.0\ndescription: \"</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>\"\nowner: \"<b>team</b>\"\nkind: ops\nlifecycle: approved\ntype: boolean\nenabled: false\n",
    );
    commit(&repo, "2026-03-01", "Add legacy and xss flags", "coverage");
    repo.write("flags/dev/feature_toggled.yaml", toggled(true));
    commit(
        &repo,
        "2026-10-02",
        "toggle feature_toggled on in dev",
        "try it",
    );
    repo.write("flags/dev/feature_toggled.yaml", toggled(false));
    commit(
        &repo,
        "2026-10-09",
        "toggle feature_toggled off in dev",
        "broke checkout",
    );
    repo.write("flags/dev/feature_toggled.yaml", toggled(true));
    commit(
        &repo,
        "2026-11-03",
        "toggle feature_toggled on in dev",
        "fixed",
    );
    repo.write("flags/prod/feature_toggled.yaml", toggled(true));
    commit(
        &repo,
        "2026-11-20",
        "toggle feature_toggled on in prod",
        "launch",
    );
    let promo = flag(
        "feature_promo",
        "1.1.0",
        "ops",
        "approved",
        "enabled: false\nrequires: \">=2.0.0\"\n",
    );
    repo.write("flags/dev/feature_promo.yaml", &promo);
    commit(&repo, "2026-12-01", "feature_promo 1.1.0", "needs app 2");
    repo.write("flags/staging/feature_promo.yaml", &promo);
    commit(
        &repo,
        "2026-12-04",
        "promote feature_promo to staging",
        "tested",
    );
    everywhere(
        &repo,
        &ENVS,
        "exp/experiment_new.yaml",
        "name: experiment_new\nversion: 1.0.0\ndescription: A new test\nowner: team-growth\nkind: experiment\nlifecycle: approved\ntype: string\nvariants: { a: a, b: b }\ndefault: a\nenabled: true\nrollout: { a: 50, b: 50 }\n",
    );
    commit(&repo, "2026-12-20", "Add experiment_new", "new experiment");
    repo
}

/// `(code, flag)` of every finding of a JSON document, sorted.
fn coded(doc: &Json) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = findings(doc)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["flag"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn schema_check(schema: &str, doc: &Json) {
    let text = std::fs::read_to_string(project_root().join("schemas").join(schema))
        .expect("read the schema");
    let schema: Json = serde_json::from_str(&text).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

#[test]
fn stale_finds_each_kind_of_stale_flag_and_only_those() {
    let repo = history();
    // Each finding at its place (an expiry at the date in the first environment, a deprecated
    // flag served at prod's lifecycle), and a row per stale flag with its age; feature_sunset,
    // disabled everywhere since January, is rolled out too: everyone gets "off".
    let both = repo.human_and_json(&["stale"], 0);
    snapshots().bind(|| insta::assert_snapshot!("stale", both));
    // Warnings fail only under --strict.
    repo.run(&["stale", "--strict"]).expect(1);
}

#[test]
fn stale_code_search_counts_references_respecting_gitignore_and_links() {
    let repo = history();
    repo.write(".gitignore", "build/\n")
        .write(
            "app/src/checkout.ts",
            "import { flags } from './flags';\n\nif (flags.isOn(\"feature_old\")) {}\nconst x = flags.get('experiment_new'); // experiment_new again\n",
        )
        .write("app/src/more.py", "# feature_old_v2 is not feature_old's name\nflag = \"ops_kill\"\n")
        // Ignored by .gitignore: does not count.
        .write("app/build/bundle.js", "feature_promo feature_toggled\n")
        // The flag files themselves never count.
        .write("notes.txt", "");
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("leak.ts"), "feature_xss feature_legacy").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), repo.path().join("app/linked")).expect("link");
    let out = repo.run(&["stale", "--code", "app", "--format", "json"]);
    out.expect(0);
    // Checked against the report schema.
    let doc = out.report();
    let rows = doc["stale"].as_array().expect("rows");
    assert_eq!(rows.len(), FLAGS.len(), "every flag is listed with --code");
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["flag"] == name)
            .expect("row")
            .clone()
    };
    assert_eq!(row("feature_old")["references"], 2);
    assert_eq!(
        row("feature_old")["first_reference"],
        serde_json::json!({"path": "app/src/checkout.ts", "line": 3, "column": 17})
    );
    assert_eq!(row("experiment_new")["references"], 2);
    assert_eq!(row("ops_kill")["references"], 1);
    let mut unreferenced: Vec<String> = findings(&doc)
        .iter()
        .filter(|f| f["code"] == "stale/unreferenced")
        .map(|f| f["flag"].as_str().unwrap_or_default().to_owned())
        .collect();
    unreferenced.sort();
    assert_eq!(
        unreferenced,
        [
            "feature_legacy",
            "feature_promo",
            "feature_sunset",
            "feature_toggled",
            "feature_xss"
        ]
    );
    // A folder that does not exist cannot be searched.
    repo.run(&["stale", "--code", "nowhere"])
        .refused(&["nowhere"]);
}

#[test]
fn stale_outside_git_says_ages_are_unknown() {
    let repo = history();
    std::fs::remove_dir_all(repo.path().join(".git")).expect("drop git");
    let out = repo.run(&["stale", "--format", "json"]);
    out.expect(0);
    let codes = coded(&out.json());
    assert!(
        codes.iter().any(|(c, _)| c == "stale/age-unknown"),
        "{codes:?}"
    );
    assert!(
        !codes.iter().any(|(c, _)| c == "stale/lifetime"),
        "{codes:?}"
    );
    assert!(codes.iter().any(|(c, _)| c == "stale/expired"), "{codes:?}");
}

/// Writes the report of `repo` into a new folder and reads `report.json`.
fn report(repo: &Repo) -> (PathBuf, Json) {
    let out = repo.run(&["report", "-o", "site"]);
    out.expect(1); // feature_promo is past prod's max_lag: an error
    let dir = repo.join("site");
    let json: Json =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("report.json is JSON");
    (dir, json)
}

#[test]
fn report_holds_the_matrix_health_lag_and_toggles() {
    let repo = history();
    let (dir, doc) = report(&repo);
    schema_check("dashboard.schema.json", &doc);
    assert_eq!(doc["version"], 1);
    let names: Vec<&str> = doc["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(names, FLAGS);
    let flag = |name: &str| {
        doc["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .find(|f| f["name"] == name)
            .expect("flag")
            .clone()
    };
    assert_eq!(flag("ops_kill")["health"], 100);
    let promo = flag("feature_promo");
    let kinds: Vec<&str> = promo["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["lag"], "{promo:#}");
    assert_eq!(promo["health"], 80);
    let prod = &promo["environments"][2];
    assert_eq!(
        (prod["env"].as_str(), prod["drift"].as_str()),
        (Some("prod"), Some("drift/behind"))
    );
    // feature_old: past its lifetime and rolled out.
    assert_eq!(flag("feature_old")["health"], 75);

    // dev → staging: feature_promo 1.1.0 took three days; the import arrived everywhere at once.
    let lag = &doc["lag"][0];
    assert_eq!(
        (lag["upstream"].as_str(), lag["downstream"].as_str()),
        (Some("dev"), Some("staging"))
    );
    assert_eq!(lag["worst_hours"], 72.0);
    assert_eq!(doc["lag"][1]["pending"], 1);
    assert_eq!(doc["lag"][1]["oldest_pending_days"], 26);

    // Toggles: three in dev, one in prod, in their months.
    let toggles = flag("feature_toggled")["toggles"].clone();
    assert_eq!(toggles[0]["env"], "dev");
    assert_eq!(toggles[0]["total"], 3);
    assert_eq!(toggles[1]["env"], "prod");
    assert_eq!(toggles[1]["total"], 1);
    let months: Vec<&str> = doc["months"]
        .as_array()
        .expect("months")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(months.first(), Some(&"2026-01"));
    assert_eq!(months.last(), Some(&"2026-12"));
    assert_eq!(doc["toggles"][0]["counts"][9], 2); // October, dev
    assert_eq!(doc["changes"][0]["subject"], "Add experiment_new");
    assert_eq!(doc["changes"][0]["reason"], "new experiment");
    assert_eq!(doc["stale"].as_array().map(Vec::len), Some(3));

    // Markup in the data never becomes markup in the page.
    let page = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
    assert!(!page.contains("</script><script>document.title"));
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<b>team</b>"));
    assert_eq!(
        page.matches("</script>").count(),
        2,
        "only the page's own scripts end"
    );
    for forbidden in ["http://", "https://", "src=\"", "@import"] {
        let outside_schema = page.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside_schema.contains(forbidden),
            "the page must not load anything: {forbidden}"
        );
    }
}

#[test]
fn report_reads_recorded_test_results() {
    let repo = history();
    repo.git(&[
            "notes",
            "--ref",
            "refs/notes/flagctl-tests",
            "add",
            "-m",
            r#"{"version": 1, "results": [{"flag": "ops_kill", "env": "prod", "passed": false}, {"flag": "ops_kill", "env": "dev", "passed": true}]}"#,
            "HEAD",
        ]);
    let (_, doc) = report(&repo);
    assert_eq!(doc["tests"]["failed"], 1);
    assert_eq!(doc["tests"]["commits_behind"], 0);
    let ops = doc["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["name"] == "ops_kill")
        .expect("ops_kill")
        .clone();
    assert_eq!(ops["health"], 75);
    assert_eq!(ops["reasons"][0]["kind"], "tests");
}

#[test]
fn report_refuses_a_file_or_a_link_and_writes_nothing() {
    let repo = history();
    repo.write("taken", "keep me\n");
    repo.run(&["report", "-o", "taken"])
        .refused(&["taken", "file"]);
    assert_eq!(
        std::fs::read_to_string(repo.path().join("taken")).expect("kept"),
        "keep me\n"
    );
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().expect("outside");
        std::os::unix::fs::symlink(outside.path(), repo.path().join("out")).expect("link");
        repo.run(&["report", "-o", "out"]).refused(&["out", "link"]);
        assert_eq!(std::fs::read_dir(outside.path()).expect("read").count(), 0);
    }
    // A second report replaces the first, leaving no temporary file behind.
    report(&repo);
    report(&repo);
    let mut left: Vec<String> = std::fs::read_dir(repo.path().join("site"))
        .expect("site")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    left.sort();
    assert_eq!(left, ["index.html", "report.json"]);
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium
// ---------------------------------------------------------------------------------------------

/// Chromium, or why the browser test cannot run (a failure under `CI=true`).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new(name).arg("--version").output().ok()?;
            out.status.success().then(|| PathBuf::from(name))
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: the dashboard test needs Chromium (apt-get install -y chromium)"
        );
        println!("skipped: no chromium on PATH (apt-get install -y chromium)");
    }
    found
}

/// Runs headless Chromium on `url` with `args`: (stdout, console lines).
fn browse(browser: &Path, url: &str, args: &[&str]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().expect("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// The `<tr class="flag" …>` start tags of a dumped DOM, by flag name, and whether hidden.
fn flag_rows(dom: &str) -> Vec<(String, bool)> {
    dom.match_indices("<tr class=\"flag\"")
        .map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>').expect("tag end")];
            let name = tag
                .split("data-flag=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("data-flag")
                .to_owned();
            (name, tag.contains(" hidden"))
        })
        .collect()
}

#[test]
fn the_page_renders_in_chromium_with_every_flag_filters_and_no_console_error() {
    let Some(browser) = chromium() else {
        return;
    };
    let repo = history();
    let (dir, _) = report(&repo);
    let index = std::fs::canonicalize(dir.join("index.html")).expect("index.html");
    let url = format!("file://{}", index.display());

    let (dom, console) = browse(&browser, &url, &["--dump-dom"]);
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script ran to its end"
    );
    let rows = flag_rows(&dom);
    let mut names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, FLAGS);
    assert!(rows.iter().all(|(_, hidden)| !hidden));
    for env in ENVS {
        assert!(
            dom.contains(&format!(">{env}</button></th>")),
            "column {env}"
        );
    }
    assert!(dom.contains("Showing 8 of 8 flags"));
    // The markup in the data is text.
    assert!(dom.contains("&lt;b&gt;team&lt;/b&gt;") && !dom.contains("<b>team</b>"));
    assert!(!dom.contains("<img") && !dom.contains("<title>pwned"));

    // A linked filter shows only what matches.
    let (dom, console) = browse(&browser, &format!("{url}#q=feature_t"), &["--dump-dom"]);
    assert!(console.is_empty(), "console output: {console:#?}");
    let visible: Vec<String> = flag_rows(&dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(visible, ["feature_toggled"]);
    assert!(dom.contains("Showing 1 of 8 flags"));
    let (dom, _) = browse(&browser, &format!("{url}#show=stale"), &["--dump-dom"]);
    let mut stale: Vec<String> = flag_rows(&dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(n, _)| n)
        .collect();
    stale.sort();
    assert_eq!(stale, ["feature_legacy", "feature_old", "feature_sunset"]);

    // The screenshot is kept for CI (and for the README).
    let shots = project_root().join("target/report-screenshot");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let png = shots.join("report.png");
    let _ = std::fs::remove_file(&png);
    browse(
        &browser,
        &url,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1400",
            "--hide-scrollbars",
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
}
