//! Private CA and accept-invalid-certs options of the transport builder.
//!
//! `fixtures/test-ca.pem` is a self-signed certificate made for these tests only
//! (its key was not kept).

use backup_core::{Error, Transport};

#[test]
fn a_pem_root_certificate_is_accepted() {
    let pem = include_bytes!("../fixtures/test-ca.pem");
    let transport = Transport::builder("test", "t")
        .root_certificate_pem(pem.to_vec())
        .build();
    assert!(transport.is_ok(), "{transport:?}");
}

#[test]
fn a_broken_certificate_is_a_config_error_before_anything_is_sent() {
    let err = Transport::builder("veeam", "t")
        .root_certificate_pem(
            b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".to_vec(),
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config {
                vendor: "veeam",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("root certificate"), "{err}");
}

#[test]
fn accepting_invalid_certificates_is_explicit() {
    let transport = Transport::builder("test", "t")
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    assert!(format!("{transport:?}").contains("Transport"));
}

#[test]
fn a_file_without_any_certificate_is_refused() {
    let err = Transport::builder("commvault", "t")
        .root_certificate_pem(b"not a certificate at all".to_vec())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
}
