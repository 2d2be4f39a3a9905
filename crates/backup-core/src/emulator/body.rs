//! The bodies and answers that faults put on the wire.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::{HeaderValue, Response, StatusCode};
use hyper::body::{Frame, SizeHint};

/// The body of a fault that replaces a truncated answer which happened to stay valid JSON.
const MALFORMED_FALLBACK: &[u8] = br#"{"error": {"code": "Internal", "message": "unexp"#;

/// The opening of an oversized body.
const PADDING_HEAD: &[u8] = br#"{"padding":""#;
/// The closing of an oversized body.
const PADDING_TAIL: &[u8] = br#""}"#;
/// The size of the chunks an oversized body is streamed in.
const CHUNK: usize = 64 * 1024;
static XS: [u8; CHUNK] = [b'x'; CHUNK];
static SPACES: [u8; CHUNK] = [b' '; CHUNK];

/// `status` as a [`StatusCode`], or 500 when it is not a valid HTTP status.
pub(crate) fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An answer with the given status, content type and body.
///
/// A content type that is not a valid header value is left out.
pub(crate) fn answer(
    status: StatusCode,
    content_type: &str,
    body: impl Into<Body>,
) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

/// The HTML error page a proxy or load balancer would answer.
pub(crate) fn html_page(status: StatusCode) -> Response<Body> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    answer(
        status,
        "text/html",
        format!("<html><body><h1>{code} {reason}</h1></body></html>"),
    )
}

/// `response` with another status and body: the headers are kept (content type
/// included) except the framing ones, which the new body decides.
pub(crate) fn replace_body(
    response: Response<Body>,
    status: StatusCode,
    body: Body,
) -> Response<Body> {
    let (mut parts, _) = response.into_parts();
    parts.status = status;
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(TRANSFER_ENCODING);
    Response::from_parts(parts, body)
}

/// `response` with `status` and its body cut short so that it is no valid JSON.
pub(crate) async fn malformed(response: Response<Body>, status: StatusCode) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let real = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let response = Response::from_parts(parts, Body::empty());
    replace_body(response, status, Body::from(truncate_json(&real)))
}

/// The first half of `real`, or a fixed truncated object when that half is
/// empty or still parses as JSON.
pub(crate) fn truncate_json(real: &[u8]) -> Bytes {
    let half = real.get(..real.len() / 2).unwrap_or_default();
    let still_valid = serde_json::from_slice::<serde::de::IgnoredAny>(half).is_ok();
    if half.is_empty() || still_valid {
        Bytes::from_static(MALFORMED_FALLBACK)
    } else {
        Bytes::copy_from_slice(half)
    }
}

/// A streamed body of an exact length: `{"padding":"xxx…"}`, or spaces when the
/// length is too short for that object. It tells its length up front, so the
/// answer carries a `Content-Length`.
#[derive(Debug)]
pub(crate) struct PaddingBody {
    head: Option<Bytes>,
    fill: &'static [u8; CHUNK],
    fill_remaining: usize,
    tail: Option<Bytes>,
}

impl PaddingBody {
    /// A body of exactly `len` bytes.
    pub(crate) fn new(len: usize) -> Self {
        let frame = PADDING_HEAD.len() + PADDING_TAIL.len();
        if len >= frame {
            Self {
                head: Some(Bytes::from_static(PADDING_HEAD)),
                fill: &XS,
                fill_remaining: len - frame,
                tail: Some(Bytes::from_static(PADDING_TAIL)),
            }
        } else {
            Self {
                head: None,
                fill: &SPACES,
                fill_remaining: len,
                tail: None,
            }
        }
    }

    fn remaining(&self) -> usize {
        self.head.as_ref().map_or(0, Bytes::len)
            + self.fill_remaining
            + self.tail.as_ref().map_or(0, Bytes::len)
    }
}

impl hyper::body::Body for PaddingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(head) = this.head.take() {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if this.fill_remaining > 0 {
            let n = this.fill_remaining.min(CHUNK);
            this.fill_remaining -= n;
            let chunk = this.fill.get(..n).unwrap_or_default();
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(chunk)))));
        }
        Poll::Ready(this.tail.take().map(|tail| Ok(Frame::data(tail))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(u64::try_from(self.remaining()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(len: usize) -> Bytes {
        axum::body::to_bytes(Body::new(PaddingBody::new(len)), usize::MAX)
            .await
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn padding_has_the_exact_length() {
        for len in [0, 1, 13, 14, 15, CHUNK, CHUNK + 15, 3 * CHUNK + 7] {
            let body = collect(len).await;
            assert_eq!(body.len(), len);
            if len >= 14 {
                assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
            }
        }
    }

    #[test]
    fn truncated_json_is_invalid() {
        for real in [
            &b""[..],
            b"1",
            b"12",
            br#"{"id":"42","state":"Running"}"#,
            b"[1,2,3,4]",
        ] {
            let cut = truncate_json(real);
            assert!(!cut.is_empty());
            assert!(
                serde_json::from_slice::<serde_json::Value>(&cut).is_err(),
                "{cut:?}"
            );
        }
    }

    #[test]
    fn invalid_status_becomes_500() {
        assert_eq!(status_code(42), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status_code(429), StatusCode::TOO_MANY_REQUESTS);
    }
}
