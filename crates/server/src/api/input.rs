//! What every handler reads from a request, with our JSON errors (never axum's plain text) and
//! the leniency JSON allows: an integer written as `3.0` is still an integer.

use crate::error::{Error, Result};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::{Deserialize, Deserializer};

/// A JSON body, or a 400 that says why not.
pub fn json<T>(r: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    r.map(|Json(v)| v)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

/// Query parameters, or a 400.
pub fn query<T>(r: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    r.map(|Query(v)| v)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

/// Path parameters, or a 400.
pub fn path<T>(r: std::result::Result<Path<T>, PathRejection>) -> Result<T> {
    r.map(|Path(v)| v)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

/// Path parameters; a bad one is our JSON 400.
pub struct P<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self> {
        path(Path::<T>::from_request_parts(parts, s).await).map(P)
    }
}

/// Query parameters; bad ones are our JSON 400.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Q<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self> {
        query(Query::<T>::from_request_parts(parts, s).await).map(Q)
    }
}

/// A JSON body; a bad one is our JSON 400.
pub struct J<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequest<S> for J<T> {
    type Rejection = Error;
    async fn from_request(req: Request, s: &S) -> Result<Self> {
        json(Json::<T>::from_request(req, s).await).map(J)
    }
}

/// An integer id or count; `7.0` is read as 7 (JSON does not tell them apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Int, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Int, E> {
                // serde_json's fast float parsing may land an ULP off a large integer.
                let r = v.round();
                let near = v == r
                    || (v.abs() >= 2f64.powi(50) && (v - r).abs() <= 4.0 * f64::EPSILON * v.abs());
                if near && (-(2f64.powi(63))..2f64.powi(63)).contains(&r) {
                    Ok(Int(r as i64))
                } else {
                    Err(E::custom("expected an integer"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::Int;

    #[test]
    fn integers_written_as_floats_are_integers() {
        let v: Vec<Int> = serde_json::from_str("[3, 3.0, -2.0, -9007199254740992.0]").unwrap();
        assert_eq!(v, [Int(3), Int(3), Int(-2), Int(-9007199254740992)]);
        assert!(serde_json::from_str::<Int>("3.5").is_err());
        assert!(serde_json::from_str::<Int>("2.5890419884777833e-42").is_err());
        let v: Vec<Int> =
            serde_json::from_str("[-2251799813685247.0, 17592186044416, -925.0]").unwrap();
        assert_eq!(v[0], Int(-2251799813685247));
        assert!(serde_json::from_str::<Int>("\"3\"").is_err());
        assert!(serde_json::from_str::<Int>("18446744073709551615").is_err());
    }
}
