//! Mail: a rendered report becomes one RFC 5322 message per recipient (HTML with a plain-text
//! alternative, the chart inline, the workbook and CSVs attached, Chinese subject and file names
//! encoded), queued in the outbox under its key with a Message-ID derived from that key.

pub mod deliver;

use std::path::PathBuf;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::report::{Document, Rendered};
use crate::store::{OutboxKey, Outgoing};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail: '{0}' is not an email address")]
    Address(String),
    #[error("mail: {0}")]
    Build(String),
    #[error("mail: LICWATCH_SMTP_URL is not a valid SMTP URL ({0})")]
    Url(String),
    #[error(
        "mail: the SMTP URL carries credentials but no TLS, so the password would cross the network in clear: \
         add ?tls=required (STARTTLS) or use smtps://; `?tls=none` accepts the risk explicitly"
    )]
    CredentialsInClear,
    #[error(
        "config [mail] smtp_url carries credentials: put them in LICWATCH_SMTP_URL (environment), never in a file"
    )]
    CredentialsInFile,
}

/// `[mail]` of licwatch.toml. The SMTP URL with credentials comes from `LICWATCH_SMTP_URL`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Sender; `LICWATCH_MAIL_FROM` overrides.
    pub from: String,
    /// SMTP server without credentials (`smtp://host:25`); `LICWATCH_SMTP_URL` overrides. None:
    /// messages are written as `.eml` files to `eml_dir`.
    pub smtp_url: Option<String>,
    pub eml_dir: PathBuf,
    /// Attempts per message before it is marked `failed` (then `licwatch outbox retry`).
    pub max_attempts: u32,
    /// First retry after this many seconds, doubling each time, capped at `max_backoff_seconds`.
    pub backoff_seconds: u64,
    pub max_backoff_seconds: u64,
    /// A sender's claim on a message lasts this long; a message left `sending` by a dead sender is
    /// taken over after it.
    pub lease_seconds: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "licwatch <licwatch@localhost>".into(),
            smtp_url: None,
            eml_dir: PathBuf::from("reports/out/mail"),
            max_attempts: 10,
            backoff_seconds: 2,
            max_backoff_seconds: 300,
            lease_seconds: 120,
        }
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files under the folder, in subfolders by the ISO week (in the zone) each message was
    /// queued in.
    Files(PathBuf, chrono_tz::Tz),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => write!(f, "SMTP"),
            Transport::Files(dir, _) => write!(f, "files in {}", dir.display()),
        }
    }
}

impl MailConfig {
    /// The sender, the environment's over the file's.
    pub fn from_mailbox(&self) -> Result<Mailbox, MailError> {
        let from = std::env::var("LICWATCH_MAIL_FROM").unwrap_or_else(|_| self.from.clone());
        from.parse().map_err(|_| MailError::Address(from))
    }

    /// The transport: SMTP from `LICWATCH_SMTP_URL` or `smtp_url`, else `.eml` files.
    /// The SMTP transport when a server is configured, else files (foldered by week in `zone`).
    pub fn transport(&self, zone: chrono_tz::Tz) -> Result<Transport, MailError> {
        let url = match std::env::var("LICWATCH_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => Some(url),
            _ => {
                if let Some(url) = &self.smtp_url
                    && url::Url::parse(url).is_ok_and(|u| u.password().is_some())
                {
                    return Err(MailError::CredentialsInFile);
                }
                self.smtp_url.clone()
            }
        };
        match url {
            None => Ok(Transport::Files(self.eml_dir.clone(), zone)),
            Some(url) => {
                let url = plain_text_checked(&url)?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| MailError::Url(crate::store::redact_in(&e.to_string(), &url)))?
                    .timeout(Some(std::time::Duration::from_secs(30)))
                    .build();
                Ok(Transport::Smtp(transport))
            }
        }
    }
}

/// The addresses of one cell or setting: separated by `;` `,` `；` `，` `、` or spaces. Ingest checks
/// each with [`is_address`] and stores them joined by `; `.
pub fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ';' | ',' | '；' | '，' | '、') || c.is_whitespace())
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether lettre — the parser the mailer uses — accepts `text` as one address.
pub fn is_address(text: &str) -> bool {
    text.parse::<lettre::Address>().is_ok()
}

/// The SMTP URL to hand to lettre. Credentials over plain SMTP are refused unless the URL says
/// `tls=none` explicitly; that marker (which lettre does not know) is taken out, with a warning.
fn plain_text_checked(url: &str) -> Result<String, MailError> {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return Ok(url.to_string());
    };
    let tls: Option<String> = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let credentials = parsed.password().is_some() || !parsed.username().is_empty();
    match (parsed.scheme(), tls.as_deref()) {
        ("smtp", Some("none")) => {
            if credentials {
                tracing::warn!("SMTP credentials sent without TLS, as tls=none asks");
            }
            let rest: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "tls")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if rest.is_empty() {
                parsed.set_query(None);
            } else {
                parsed.query_pairs_mut().clear().extend_pairs(rest);
            }
            Ok(parsed.to_string())
        }
        ("smtp", None) if credentials => Err(MailError::CredentialsInClear),
        _ => Ok(url.to_string()),
    }
}

/// A stable Message-ID for a key: the same key always yields the same ID, so a receiver can tell a
/// (never intended) second delivery for what it is.
pub fn message_id(key: &OutboxKey, from: &Mailbox) -> String {
    let digest = Sha256::digest(
        [key.kind.as_str(), &key.period, &key.scope, &key.recipient]
            .join("\u{0}")
            .as_bytes(),
    );
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("<{hex}.{}@{}>", key.kind, from.email.domain())
}

/// The outbox key of `doc` for one recipient.
pub fn key(doc: &Document, recipient: &str) -> Result<OutboxKey, MailError> {
    let to: Mailbox = recipient
        .parse()
        .map_err(|_| MailError::Address(recipient.to_string()))?;
    Ok(OutboxKey {
        kind: doc.kind.code().into(),
        period: doc.period.clone(),
        scope: doc.scope.clone(),
        recipient: to.email.to_string(),
    })
}

/// A composed document: one message per recipient, and the recipients the mailer refused (an
/// address from old data or configuration) — each skipped with its reason, never failing the rest.
pub struct Composed {
    pub messages: Vec<Outgoing>,
    pub refused: Vec<MailError>,
}

/// `text` with every line ending in CRLF, as a message body's must (RFC 5322 2.3). lettre ends the
/// lines of a body it is given by inserting a `\r` before each bare `\n` in place, moving the rest
/// of the text each time: quadratic in the lines, more than the base64 encoding of an assignment
/// page costs, and far more for a weekly report's long page. Given CRLF text, it inserts none.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut rest = text;
    while let Some(i) = rest.find('\n') {
        let line = &rest[..i];
        out.push_str(line);
        if !line.ends_with('\r') {
            out.push('\r');
        }
        out.push('\n');
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out
}

/// One message per recipient of `doc`, ready for the outbox.
pub fn compose(
    doc: &Document,
    rendered: &Rendered,
    from: &Mailbox,
    held: bool,
    requested_by: &str,
) -> Result<Composed, MailError> {
    let subject = format!("【{}】{}", doc.kind.label(), doc.title);
    let (html, text) = (crlf(&rendered.html), crlf(&rendered.text));
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for recipient in &doc.recipients {
        let key = match key(doc, recipient) {
            Ok(key) => key,
            Err(e) => {
                refused.push(e);
                continue;
            }
        };
        let to: Mailbox = recipient.parse().expect("parsed by key()");
        let id = message_id(&key, from);
        // Base64 for the page: quoted-printable, which lettre picks for mostly-ASCII text, spells
        // each byte of Chinese as three (an assignment's page 11.9 KB against 10.5 KB).
        let html = SinglePart::builder()
            .header(ContentType::TEXT_HTML)
            .header(ContentTransferEncoding::Base64)
            .body(html.clone());
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(text.clone()))
            .singlepart(html);
        let mut related = MultiPart::related().multipart(body);
        for chart in &doc.charts {
            related = related.singlepart(Attachment::new_inline(chart.name.into()).body(
                chart.png.clone(),
                ContentType::parse("image/png").expect("valid"),
            ));
        }
        let mut mixed = MultiPart::mixed().multipart(related);
        for (name, content_type, bytes) in &rendered.attachments {
            let part: SinglePart = Attachment::new(name.clone()).body(
                bytes.clone(),
                ContentType::parse(content_type).map_err(|e| MailError::Build(e.to_string()))?,
            );
            mixed = mixed.singlepart(part);
        }
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject.clone())
            .message_id(Some(id.clone()))
            .multipart(mixed)
            .map_err(|e| MailError::Build(e.to_string()))?;
        let raw = String::from_utf8(message.formatted())
            .map_err(|e| MailError::Build(format!("message is not 7-bit: {e}")))?;
        out.push(Outgoing {
            key,
            message_id: id,
            subject: subject.clone(),
            message: raw,
            held,
            requested_by: requested_by.into(),
        });
    }
    Ok(Composed {
        messages: out,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use lettre::message::Body;
    use lettre::message::header::ContentTransferEncoding;

    use super::crlf;

    #[test]
    fn crlf_ends_every_line_as_lettre_would() {
        let text = "第一行\n第二行\r\n\n末行无换行\r\n\r\n结尾\n";
        assert_eq!(
            crlf(text),
            "第一行\r\n第二行\r\n\r\n末行无换行\r\n\r\n结尾\r\n"
        );
        assert_eq!(crlf("\nstart"), "\r\nstart");
        assert_eq!(crlf(""), "");
        // The bodies lettre encodes are the same bytes either way, in each encoding it picks.
        for encoding in [
            ContentTransferEncoding::Base64,
            ContentTransferEncoding::QuotedPrintable,
        ] {
            let ours = Body::new_with_encoding(crlf(text), encoding).unwrap();
            let its = Body::new_with_encoding(text.to_string(), encoding).unwrap();
            assert_eq!(ours.as_ref(), its.as_ref(), "{encoding:?}");
        }
        assert_eq!(
            Body::new(crlf(text)).as_ref(),
            Body::new(text.to_string()).as_ref()
        );
    }
}
