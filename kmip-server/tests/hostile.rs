//! Hostile input against the running server (listener, mutual TLS and the real dispatcher):
//! each case on a fresh connection, and after each one the server still answers a good client.

use kmip_server::client::{ClientOptions, KmipClient};
use kmip_server::devca::{Ca, LeafSpec};
use kmip_server::local::{scratch_keystore, LocalServer};
use kmip_server::message::request;
use kmip_server::server::Limits;
use kmip_server::ttlv::binary;
use kmip_server::ttlv::enums::{Operation, ResultReason, ResultStatus};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server(dir: &std::path::Path) -> LocalServer {
    let kmip = scratch_keystore(dir).expect("a scratch keystore");
    let limits = Limits {
        idle_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    LocalServer::start(Arc::new(kmip), "kmip", limits).unwrap()
}

fn discover() -> Vec<u8> {
    binary::encode(&request(
        Version::new(1, 2),
        vec![(Operation::DISCOVER_VERSIONS, vec![])],
    ))
}

/// A good client still gets an answer.
fn still_serves(srv: &LocalServer) {
    let mut c = srv.connect().expect("a good client connects");
    let answer = c.send_raw(&discover()).expect("a good request is answered");
    let resp = binary::decode(&answer, &Default::default()).unwrap();
    let item = resp.find(Tag::BATCH_ITEM).unwrap();
    assert_eq!(
        item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum),
        Some(ResultStatus::SUCCESS.0)
    );
}

fn reason_of(answer: &[u8]) -> Option<u32> {
    let resp = binary::decode(answer, &Default::default()).ok()?;
    resp.find(Tag::BATCH_ITEM)?.find(Tag::RESULT_REASON)?.as_enum()
}

/// Reads until the server closes, bounded in time; true when it closed.
fn closed_soon(stream: &mut impl Read, within: Duration) -> bool {
    let start = Instant::now();
    let mut buf = [0u8; 256];
    while start.elapsed() < within {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
    false
}

#[test]
fn hostile_messages_get_standard_errors_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    still_serves(&srv);

    // A valid Request Message header with a junk body: Invalid Message, connection usable.
    let mut c = srv.connect().unwrap();
    let mut junk = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 16];
    junk.extend_from_slice(b"\xff\xfe\xfd\xfc junk bytes ");
    let answer = c.send_raw(&junk).expect("answered");
    assert_eq!(reason_of(&answer), Some(ResultReason::INVALID_MESSAGE.0));
    let answer = c.send_raw(&discover()).expect("the same connection still works");
    assert!(reason_of(&answer).is_none());
    still_serves(&srv);

    // A first item that is a structure but not a Request Message: Invalid Message.
    let mut c = srv.connect().unwrap();
    let not_request = binary::encode(&Ttlv::structure(Tag::RESPONSE_MESSAGE, vec![]));
    let answer = c.send_raw(&not_request).expect("answered");
    assert_eq!(reason_of(&answer), Some(ResultReason::INVALID_MESSAGE.0));
    still_serves(&srv);

    // A length field claiming 2 GiB: closed at once, nothing read or allocated for it.
    let mut c = srv.connect().unwrap();
    c.write_raw(&[0x42, 0x00, 0x78, 0x01, 0x80, 0, 0, 0]).unwrap();
    let t = Instant::now();
    assert!(c.read_message().is_err(), "no answer to a 2 GiB claim");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "closed at once, not after the idle timeout"
    );
    still_serves(&srv);

    // An operation the server does not implement decodes and is answered, never Invalid Message.
    let mut c = srv.connect().unwrap();
    let mut msg = binary::decode(&discover(), &Default::default()).unwrap();
    if let kmip_server::ttlv::Value::Structure(items) = &mut msg.value {
        items[1] = Ttlv::structure(
            Tag::BATCH_ITEM,
            vec![
                Ttlv::enumeration(Tag::OPERATION, Operation::CERTIFY.0),
                Ttlv::structure(Tag::REQUEST_PAYLOAD, vec![]),
            ],
        );
    }
    let answer = c.send_raw(&binary::encode(&msg)).unwrap();
    assert_eq!(reason_of(&answer), Some(ResultReason::OPERATION_NOT_SUPPORTED.0));
    still_serves(&srv);
}

#[test]
fn non_tls_and_untrusted_clients_are_refused_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());

    // An HTTP request in the clear: the TLS handshake fails and the connection closes.
    let mut plain = std::net::TcpStream::connect(srv.addr).unwrap();
    plain.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert!(
        closed_soon(&mut plain, Duration::from_secs(5)),
        "HTTP is not served"
    );
    still_serves(&srv);

    // A client without a certificate.
    let ca_pem = srv.ca.cert_pem().as_bytes().to_vec();
    let anon = KmipClient::connect_with(srv.addr, &ClientOptions::anonymous(&ca_pem));
    if let Ok(mut c) = anon {
        // TLS 1.3 reports the refusal on the first read.
        assert!(
            c.send_raw(&discover()).is_err(),
            "no answer without a client certificate"
        );
    }
    still_serves(&srv);

    // A client certificate from a CA the server does not trust.
    let other = Ca::generate("someone else's CA", None).unwrap();
    let leaf = other.issue(&LeafSpec::client("intruder")).unwrap();
    let opts = ClientOptions::new(&ca_pem, leaf.cert_pem.as_bytes(), leaf.key_pem.as_bytes());
    if let Ok(mut c) = KmipClient::connect_with(srv.addr, &opts) {
        assert!(
            c.send_raw(&discover()).is_err(),
            "no answer to an untrusted client"
        );
    }
    still_serves(&srv);
}
