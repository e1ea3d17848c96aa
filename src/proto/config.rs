//! Protocol parameters (RFC 9260 section 16 defaults).
