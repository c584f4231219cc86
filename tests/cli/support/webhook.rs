//! A webhook for `events --post`: a tiny HTTP/1.1 server on 127.0.0.1 in a test thread, which
//! records every request and answers as the test says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The signing secret tests give flagctl (`FLAGCTL_WEBHOOK_SECRET`).
pub const SECRET: &str = "s3cret";

/// What the webhook answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// 200 to the first `n` requests, then 500.
    SucceedFirst(usize),
    /// Reads nothing and answers nothing; holds the connection open.
    Silent,
    /// `302 Found` to every request, with this `Location`.
    Redirect(String),
}

/// One request as the webhook read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1, one request per connection.
pub struct Hook {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Connections accepted (the silent webhook reads no request).
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hook {
    /// Listens on a free port of 127.0.0.1 and answers every request as `answer` says.
    pub fn start(answer: Answer) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (requests, stop, connections) =
                (requests.clone(), stop.clone(), connections.clone());
            std::thread::spawn(move || {
                let mut held = Vec::new();
                let mut served = 0usize;
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    if let Answer::Silent = answer {
                        held.push(stream);
                        continue;
                    }
                    let Some(request) = read_request(&stream) else {
                        continue;
                    };
                    requests.lock().expect("lock").push(request);
                    let ok = match &answer {
                        Answer::FailFirst(n) => served >= *n,
                        Answer::SucceedFirst(n) => served < *n,
                        Answer::Silent | Answer::Redirect(_) => false,
                    };
                    served += 1;
                    let status = match &answer {
                        Answer::Redirect(to) => format!("302 Found\r\nLocation: {to}"),
                        _ if ok => "200 OK".to_owned(),
                        _ => "500 Internal Server Error".to_owned(),
                    };
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = stream.flush();
                }
                drop(held);
            })
        };
        Hook {
            addr,
            requests,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads a request head and its `Content-Length` body.
fn read_request(stream: &TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// The signature flagctl sends with `body`: `sha256=` and the hex HMAC of it under [`SECRET`].
pub fn signature(body: &str) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Asserts a POST to `/hook`, signed with [`SECRET`], with an idempotency key.
#[track_caller]
pub fn assert_signed(request: &Request) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target.split('?').next(), Some("/hook"));
    let header = request
        .header("x-flagctl-signature")
        .unwrap_or_else(|| panic!("a signature header in {request:?}"));
    assert_eq!(header, signature(&request.body));
    let hex_part = header.strip_prefix("sha256=").expect("sha256= prefix");
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    mac.update(request.body.as_bytes());
    mac.verify_slice(&hex::decode(hex_part).expect("hex"))
        .expect("the HMAC verifies");
    assert!(
        request
            .header("idempotency-key")
            .is_some_and(|k| !k.is_empty()),
        "an Idempotency-Key in {request:?}"
    );
}

/// The request's `Idempotency-Key`.
pub fn key(request: &Request) -> String {
    request
        .header("idempotency-key")
        .unwrap_or_default()
        .to_owned()
}

/// `flagctl events --post URL EXTRA…` with the signing secret set (and a 1 ms back-off unless
/// `extra` sets one), asserting that neither the secret nor a credential the tests put in URLs
/// (`hunter2`, `t0ken`) is ever printed.
pub fn post(repo: &super::Repo, url: &str, extra: &[&str]) -> super::Run {
    let mut args = vec!["events", "--post", url];
    args.extend(extra);
    if !extra.contains(&"--backoff-ms") {
        args.extend(["--backoff-ms", "1"]);
    }
    let run = repo.cmd(&args).env("FLAGCTL_WEBHOOK_SECRET", SECRET).run();
    for secret in [SECRET, "hunter2", "t0ken"] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{secret:?} is never printed\n{}",
            run.show()
        );
    }
    run
}

/// The lines `flagctl events` prints in `repo` (one event each), asserting there are `count`.
pub fn events(repo: &super::Repo, count: usize) -> Vec<String> {
    let run = repo.run(&["events"]);
    let run = run.expect(0);
    let lines: Vec<String> = run.lines().into_iter().map(str::to_owned).collect();
    assert_eq!(lines.len(), count, "{}", run.show());
    lines
}
