"""A real SMTP server for the tests (aiosmtpd): each accepted message is stored in a Maildir, with
the envelope recipients in an X-RcptTo header, after an optional delay so a test can stop the
server mid-batch. Run: PYTHONPATH=tests/support python3 -m aiosmtpd -n -l 127.0.0.1:PORT \
-c smtp_sink.Sink MAILDIR [DELAY_SECONDS]"""

import asyncio
import mailbox


class Sink:
    def __init__(self, maildir, delay="0"):
        self.box = mailbox.Maildir(maildir, create=True)
        self.delay = float(delay)

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        header = ("X-RcptTo: " + ", ".join(envelope.rcpt_tos) + "\r\n").encode()
        content = envelope.original_content or envelope.content
        self.box.add(header + content)
        return "250 OK: queued"
