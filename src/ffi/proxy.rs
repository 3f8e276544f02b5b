//! `hb_proxy_*`: a proxy on a library thread (being written).
