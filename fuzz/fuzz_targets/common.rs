//! Shared by the fuzz targets: the input as answers of several statuses.

use backup_core::transport::{ErrorDecoder, Response};

/// The statuses an error decoder is asked about: a 200 (Commvault's errors in a 200),
/// the client errors the vendors send, and server errors.
pub const STATUSES: [u16; 8] = [200, 202, 400, 401, 404, 409, 429, 500];

/// `body` as an answer of `status`, with a request id and a retry hint.
pub fn response(vendor: &'static str, status: u16, body: &[u8]) -> Response {
    let mut headers = http::HeaderMap::new();
    headers.insert("retry-after", http::HeaderValue::from_static("7"));
    headers.insert(
        "x-request-id",
        http::HeaderValue::from_static("fuzz-request"),
    );
    let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    Response::from_parts(vendor, status, headers, body.to_vec())
}

/// Runs `decoder` on `body` answered with every status of [`STATUSES`] and formats
/// the error it makes (Display and Debug), as a caller would.
pub fn decode_errors(vendor: &'static str, decoder: &dyn ErrorDecoder, body: &[u8]) {
    for status in STATUSES {
        let response = response(vendor, status, body);
        let api = decoder.decode_error(&response);
        let error = backup_core::Error::from(api);
        let _ = error.to_string();
        let _ = format!("{error:?}");
        let _ = response.undecodable("fuzz").to_string();
    }
}
