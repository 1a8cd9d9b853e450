//! The SaaS catalog.
