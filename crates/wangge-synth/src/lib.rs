//! wangge-synth
