//! `events --post` against webhooks that misbehave: one that redirects elsewhere, one that
//! fails, one that takes everything; URLs that carry credentials; limits past what a count or a
//! clock can hold. The signature and idempotency key reach the host named and no other, no
//! credential is ever echoed, and a delivery that fails is an error (exit 2).

use crate::support::webhook::{Answer, Hook, assert_signed, events, post};
use crate::support::{Repo, flag_yaml};

/// Two flags in dev, committed: two `flag.created` events.
fn repo() -> (Repo, Vec<String>) {
    let repo = Repo::with_git();
    repo.write("flagctl.yaml", "environments:\n  - name: dev\n");
    repo.write("flags/dev/feature_a.yaml", flag_yaml("feature_a", ""));
    repo.write("flags/dev/feature_b.yaml", flag_yaml("feature_b", ""));
    repo.commit("init");
    let lines = events(&repo, 2);
    (repo, lines)
}

#[test]
fn a_redirect_is_not_followed_and_nothing_is_delivered() {
    let (repo, lines) = repo();
    let elsewhere = Hook::start(Answer::FailFirst(0));
    let hook = Hook::start(Answer::Redirect(format!(
        "http://{}/stolen?token=t0ken",
        elsewhere.addr
    )));
    let run = post(&repo, &hook.url(), &[]);
    run.refused(&[
        "302",
        &format!("host {}", elsewhere.addr),
        "after 1 attempt ",
        "0 delivered",
    ]);
    assert!(!run.stderr.contains("stolen"), "{}", run.show());
    assert!(
        elsewhere.requests().is_empty(),
        "the other host received {:?}",
        elsewhere.requests()
    );
    let requests = hook.requests();
    assert_eq!(
        requests.len(),
        1,
        "a redirect is not retried\n{}",
        run.show()
    );
    assert_signed(&requests[0]);
    assert_eq!(requests[0].body, lines[0]);
}

#[test]
fn a_failing_webhook_is_an_error_that_never_shows_the_urls_credentials() {
    let (repo, lines) = repo();
    let hook = Hook::start(Answer::SucceedFirst(0));
    let url = format!("http://bot:hunter2@{}/hook?token=t0ken&team=web", hook.addr);
    let run = post(&repo, &url, &["--retries", "2"]);
    run.refused(&[
        "HTTP 500",
        "after 3 attempts",
        "0 delivered",
        &format!("http://***@{}/hook?token=***&team=***", hook.addr),
    ]);
    let requests = hook.requests();
    assert_eq!(requests.len(), 3, "the first attempt and 2 retries");
    for request in &requests {
        assert_signed(request);
        assert_eq!(request.body, lines[0]);
    }
    // An address that refuses connections: the client's error quotes no credential either.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    post(
        &repo,
        &format!("http://bot:hunter2@127.0.0.1:{port}/hook?token=t0ken"),
        &["--retries", "0"],
    )
    .refused(&["0 delivered"]);
}

#[test]
fn a_webhook_that_takes_everything_gets_every_event_signed() {
    let (repo, lines) = repo();
    let hook = Hook::start(Answer::FailFirst(0));
    let url = format!("http://bot:hunter2@{}/hook?token=t0ken", hook.addr);
    let run = post(&repo, &url, &[]);
    run.expect(0);
    assert!(
        run.stderr.contains(&format!(
            "delivered 2 events to http://***@{}/hook?token=***",
            hook.addr
        )),
        "{}",
        run.show()
    );
    let requests = hook.requests();
    for request in &requests {
        assert_signed(request);
    }
    let bodies: Vec<&str> = requests.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies, lines);
}

#[test]
fn limits_past_what_a_clock_or_a_count_holds_are_refused_before_anything_is_sent() {
    let (repo, _) = repo();
    let hook = Hook::start(Answer::FailFirst(0));
    let url = hook.url();
    for (option, value) in [
        ("--timeout", "18446744073709551615"),
        ("--timeout", "0"),
        ("--retries", "4294967295"),
        ("--retries", "101"),
        ("--backoff-ms", "18446744073709551615"),
    ] {
        post(&repo, &url, &[option, value]).refused(&[option, value]);
    }
    assert!(hook.requests().is_empty(), "nothing sent");
    // The largest values allowed run, and count their attempts.
    post(
        &repo,
        &url,
        &[
            "--timeout",
            "3600",
            "--retries",
            "100",
            "--backoff-ms",
            "300000",
        ],
    )
    .expect(0);
}
