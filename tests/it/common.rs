//! Test support: a fresh store on the engine the run asks for (`LICWATCH_TEST_ENGINE=sqlite|postgres`),
//! and fixtures built from the library's own types. A PostgreSQL run that cannot reach its server
//! fails; it never skips.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use licwatch::model::{Enterprise, Inspector, Licence, LicenceStatus, Procedure};
use licwatch::store::Store;
use sqlx::Connection;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A fresh, empty database and a scratch directory to run the binary in.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
}

fn postgres_admin_url() -> String {
    std::env::var("LICWATCH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn engine() -> String {
    std::env::var("LICWATCH_TEST_ENGINE").unwrap_or_else(|_| "sqlite".into())
}

impl TestDb {
    pub async fn new() -> TestDb {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = tempfile::tempdir().unwrap();
        let url = match engine().as_str() {
            "sqlite" => format!("sqlite://{}", dir.path().join("licwatch.db").display()),
            "postgres" => {
                let admin = postgres_admin_url();
                let name = format!(
                    "licwatch_test_{}_{}",
                    std::process::id(),
                    SEQ.fetch_add(1, Ordering::SeqCst)
                );
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("LICWATCH_TEST_ENGINE=postgres but {admin} cannot be reached: {e}")
                    });
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name}"
                )))
                .execute(&mut conn)
                .await
                .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                format!("{base}/{name}")
            }
            other => panic!("LICWATCH_TEST_ENGINE must be sqlite or postgres, not {other}"),
        };
        TestDb { url, dir }
    }

    pub async fn store(&self) -> Store {
        let store = Store::open(&self.url).await.unwrap();
        store.seed_reference().await.unwrap();
        store
    }

    /// Runs the binary against this database, in the scratch directory.
    pub fn run(&self, args: &[&str]) -> Output {
        licwatch(args, &self.url, self.dir.path().to_path_buf())
    }
}

pub fn licwatch(args: &[&str], url: &str, cwd: PathBuf) -> Output {
    command(args, url, cwd).output().unwrap()
}

/// The binary, ready to run against `url` in `cwd`, with no SMTP server unless a test adds one.
pub fn command(args: &[&str], url: &str, cwd: PathBuf) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_licwatch"));
    c.args(args)
        .env("DATABASE_URL", url)
        .env_remove("LICWATCH_CONFIG")
        .env_remove("LICWATCH_SMTP_URL")
        .env_remove("LICWATCH_MAIL_FROM")
        .current_dir(cwd);
    c
}

impl TestDb {
    /// The binary against this database with extra environment (e.g. `LICWATCH_SMTP_URL`).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = command(args, &self.url, self.dir.path().to_path_buf());
        c.envs(env.iter().copied());
        c
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(args, env).output().unwrap()
    }

    /// Writes `licwatch.toml` in the scratch directory.
    pub fn config(&self, text: &str) {
        std::fs::write(self.dir.path().join("licwatch.toml"), text).unwrap();
    }
}

/// A real SMTP server (aiosmtpd, `tests/support/smtp_sink.py`) on a free loopback port, storing
/// what it accepts in a Maildir that outlives a stop and a restart.
pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    delay: f64,
    child: Option<std::process::Child>,
}

impl SmtpServer {
    pub fn start(delay_seconds: f64) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = SmtpServer {
            port,
            maildir: tempfile::tempdir().unwrap(),
            delay: delay_seconds,
            child: None,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        let support = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_sink.Sink"])
            .arg(self.maildir.path().join("box"))
            .arg(self.delay.to_string())
            .env("PYTHONPATH", support)
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test installs it)");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the SMTP server did not start on port {}", self.port);
    }

    /// Kills the server: connections are refused until `restart`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Every message accepted so far, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("box").join(sub)) else {
                continue;
            };
            for e in entries {
                out.push(std::fs::read(e.unwrap().path()).unwrap());
            }
        }
        out
    }

    /// The Message-ID header of every message accepted so far.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|m| {
                String::from_utf8_lossy(m)
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                    .expect("every message has a Message-ID")
                    .to_string()
            })
            .collect()
    }
}

/// A `[recipients]` section with the region's mailbox and one per prefecture of the store's
/// divisions, and how many weekly mails that makes.
pub async fn bureau_recipients(db: &TestDb) -> (String, usize) {
    let store = db.store().await;
    let prefectures: Vec<String> = store
        .divisions()
        .await
        .unwrap()
        .prefectures()
        .map(|p| p.code.clone())
        .collect();
    store.close().await;
    let mut config =
        "[recipients]\nregion = [\"zongju@example.gov.cn\"]\n[recipients.prefecture]\n".to_string();
    for p in &prefectures {
        config.push_str(&format!("\"{p}\" = [\"ju-{p}@example.gov.cn\"]\n"));
    }
    (config, prefectures.len() + 1)
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

pub fn enterprise(code: &str, prefecture: &str, county: &str) -> Enterprise {
    Enterprise {
        credit_code: code.into(),
        name: format!("测试企业{}", &code[14..]),
        prefecture: prefecture.into(),
        county: county.into(),
        address: Some("乌鲁木齐市天山区人民路1号".into()),
        email: None,
    }
}

pub fn licence(no: &str, code: &str, category: &str, grant: &str) -> Licence {
    Licence {
        licence_no: no.into(),
        credit_code: code.into(),
        category: category.into(),
        procedure: Procedure::Simplified,
        grant_date: d(grant),
        expiry: None,
        decision_date: None,
        e_cert_date: Some(d(grant)),
        status: LicenceStatus::Active,
        renewal_filed: None,
        renewal_direct: false,
        renews: None,
        major_change: false,
        issuer: None,
    }
}

/// Valid credit codes (GB 32100-2015 check characters).
pub const URUMQI_CO: &str = "91350100M000100Y43";
pub const KARAMAY_CO: &str = "91110108551385082Q";
pub const YILI_CO: &str = "91440300708461136T";

/// An active inspector of 伊犁哈萨克自治州 (654000) in `county`, qualified for `qualifications`.
pub fn inspector(id: &str, county: &str, qualifications: &[&str]) -> Inspector {
    Inspector {
        inspector_id: id.into(),
        name: format!("检查员{id}"),
        prefecture: "654000".into(),
        county: county.into(),
        qualifications: qualifications.iter().map(|q| q.to_string()).collect(),
        email: None,
        active: true,
    }
}

/// Stores an enterprise in 乌鲁木齐市 (URUMQI_CO) and one in 克拉玛依市 (KARAMAY_CO).
pub async fn store_two_enterprises(store: &Store) {
    store
        .upsert(&[
            enterprise(URUMQI_CO, "650100", "650102"),
            enterprise(KARAMAY_CO, "650200", "650203"),
        ])
        .await
        .unwrap();
}

/// Marks a file as written a minute ago: the inbox takes only files that have settled.
pub fn settle(path: &std::path::Path) {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(past)
        .unwrap();
}

/// Writes `bytes` as `name` in the scratch directory; returns its path.
pub fn write(db: &TestDb, name: &str, bytes: &(impl AsRef<[u8]> + ?Sized)) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, bytes.as_ref()).unwrap();
    path.display().to_string()
}

/// The JSON rows a command printed (its stdout), or a panic showing both streams.
pub fn json(out: &Output) -> Vec<serde_json::Value> {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("{e}: {} / {}", stdout(out), stderr(out)))
}

/// `licwatch ingest --format json FILES…`: the exit code, the summaries, stderr.
pub fn ingest(db: &TestDb, files: &[&str]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut args = vec!["ingest", "--format", "json"];
    args.extend_from_slice(files);
    let out = db.run(&args);
    (out.status.code(), json(&out), stderr(&out))
}

/// The ISO week it is now in Asia/Shanghai: mails are foldered by the week they were produced.
pub fn this_week() -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    licwatch::period::Period::week_of(today).to_string()
}

/// Every file under `dir`, at any depth.
pub fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
