//! The sans-IO SCTP core: no sockets, no clock, no threads, no locks and
//! no unchecked memory access (see the `forbid` below). Every entry point
//! takes `now`; inputs are `handle_*`, outputs are `poll_*`.
#![forbid(unsafe_code)]

pub mod assoc;
pub mod config;
pub mod endpoint;
pub mod serial;
pub mod time;
pub mod wire;

pub use assoc::{
    AssocEvent, AssocId, AssocState, AssocStats, Association, ExtEvent, PrPolicy, PrStats,
    ReconfError, SendOptions, Transmit,
};
pub use config::{Config, EndpointConfig};
pub use endpoint::{DatagramEvent, Endpoint};
pub use time::Instant;
