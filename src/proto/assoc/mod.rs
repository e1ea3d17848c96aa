//! Association
