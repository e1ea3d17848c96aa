//! Endpoint
