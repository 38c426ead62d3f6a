//! A farm of the test support's loopback HTTP servers ([`scripted::HttpServer`]), one
//! listener per endpoint, each answering every request with `200 ok` and closing the
//! connection. It counts the requests received (without keeping them, so the farm's
//! memory stays flat) so each round can prove every endpoint was really hit.

use anyhow::Context as _;
use netcheck_test_support::scripted::{self, Reply, Script};

/// The running servers; dropping the farm stops the listeners.
pub struct Farm {
    pub urls: Vec<String>,
    servers: Vec<scripted::HttpServer>,
}

impl Farm {
    /// Binds `count` listeners on 127.0.0.1 (ephemeral ports) and starts answering.
    pub async fn start(count: usize) -> anyhow::Result<Farm> {
        let ok = Reply::new(200, &[("content-type", "text/plain")], b"ok").close();
        let mut servers = Vec::with_capacity(count);
        for n in 0..count {
            let server = scripted::HttpServer::serve(Script::always(ok.clone()).unrecorded(), None)
                .await
                .with_context(|| {
                    format!(
                        "binding loopback listener {} of {count} on 127.0.0.1 (too many open files? \
                         raise `ulimit -n` or pass a smaller --endpoints)",
                        n + 1
                    )
                })?;
            servers.push(server);
        }
        let urls = servers
            .iter()
            .map(|s| format!("http://127.0.0.1:{}/health", s.port()))
            .collect();
        Ok(Farm { urls, servers })
    }

    /// Requests received so far, over all endpoints.
    pub fn served(&self) -> usize {
        self.servers.iter().map(scripted::HttpServer::served).sum()
    }
}
