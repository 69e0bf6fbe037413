//! The host's clock: every read of the current time on this host goes through [`now`]. Claims,
//! leases and takeovers never use it — they use the database's clock (`Store::db_now`) — so a host
//! whose clock is off can fire a tick early or late and stamp its own records oddly, but never take
//! a live tick or message from another. `LICWATCH_TEST_CLOCK_SKEW_SECONDS` sets this host's clock
//! off by that much; it exists for the test that shows exactly that.

use chrono::{DateTime, Utc};

pub fn now() -> DateTime<Utc> {
    static SKEW: std::sync::OnceLock<chrono::Duration> = std::sync::OnceLock::new();
    let skew = SKEW.get_or_init(|| {
        std::env::var("LICWATCH_TEST_CLOCK_SKEW_SECONDS")
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .map_or(chrono::Duration::zero(), chrono::Duration::seconds)
    });
    Utc::now() + *skew
}
