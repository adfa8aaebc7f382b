//! wangge-io
