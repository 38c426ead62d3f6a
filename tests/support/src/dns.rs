//! A tiny authoritative DNS server on 127.0.0.1 (UDP) for end-to-end tests: it answers
//! chosen names with chosen A/AAAA records, NXDOMAIN for anything else, and counts the
//! queries it was sent. Point netcheck at it with `nameservers = ["127.0.0.1:PORT"]`.
//!
//! ```ignore
//! let dns = DnsServer::start(&[("imds.netcheck.test", "169.254.169.254")]);
//! let config = format!("nameservers = [\"{}\"]\n...", dns.address());
//! ```
//!
//! Only what a stub resolver sends is understood: one question, no compression in it.
//! Additional records (EDNS) in the query are ignored; answers carry no OPT record.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u16 = 3;

/// A UDP DNS server on 127.0.0.1, stopped on drop.
pub struct DnsServer {
    port: u16,
    queries: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DnsServer {
    /// Serves `records`: (name, address) pairs; a name may appear more than once, and
    /// its A (or AAAA) answers keep the order given. Names match case-insensitively.
    pub fn start(records: &[(&str, &str)]) -> DnsServer {
        let records: Vec<(String, IpAddr)> = records
            .iter()
            .map(|(name, ip)| {
                let ip = ip
                    .parse::<IpAddr>()
                    .unwrap_or_else(|e| panic!("test DNS record {name} -> {ip}: {e}"));
                (name.trim_end_matches('.').to_ascii_lowercase(), ip)
            })
            .collect();
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind UDP 127.0.0.1:0");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("setting the DNS socket's read timeout");
        let port = socket.local_addr().expect("DNS socket address").port();
        let queries = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopping) = (queries.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stopping.load(Ordering::SeqCst) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                if let Some(reply) = answer(&buf[..n], &records) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        DnsServer {
            port,
            queries,
            stop,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, as a `nameservers` entry.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Queries received so far (A and AAAA count separately).
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reply to one query, or `None` when it is not a query we can read.
fn answer(query: &[u8], records: &[(String, IpAddr)]) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return None;
    }
    // The question: labels up to the root, then type and class.
    let mut at = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None; // compression pointers never appear in a question we accept
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    let question = query.get(12..question_end)?;
    let name = labels.join(".");

    let known = records.iter().any(|(n, _)| *n == name);
    let rdatas: Vec<Vec<u8>> = records
        .iter()
        .filter(|(n, _)| *n == name)
        .filter_map(|(_, ip)| match (ip, qtype) {
            (IpAddr::V4(v4), TYPE_A) => Some(v4.octets().to_vec()),
            (IpAddr::V6(v6), TYPE_AAAA) => Some(v6.octets().to_vec()),
            _ => None,
        })
        .collect();

    // Header: same id; QR, AA, the query's RD, RA; NXDOMAIN for unknown names.
    let rd = u16::from(query[2] & 0x01) << 8;
    let rcode = if known { 0 } else { RCODE_NXDOMAIN };
    let flags: u16 = 0x8000 | 0x0400 | rd | 0x0080 | rcode;
    let mut reply = Vec::with_capacity(512);
    reply.extend_from_slice(&query[0..2]);
    reply.extend_from_slice(&flags.to_be_bytes());
    reply.extend_from_slice(&1u16.to_be_bytes());
    reply.extend_from_slice(&u16::try_from(rdatas.len()).ok()?.to_be_bytes());
    reply.extend_from_slice(&[0, 0, 0, 0]);
    reply.extend_from_slice(question);
    for rdata in rdatas {
        reply.extend_from_slice(&[0xC0, 0x0C]); // the name: a pointer to the question's
        reply.extend_from_slice(&qtype.to_be_bytes());
        reply.extend_from_slice(&CLASS_IN.to_be_bytes());
        reply.extend_from_slice(&60u32.to_be_bytes());
        reply.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
        reply.extend_from_slice(&rdata);
    }
    Some(reply)
}
