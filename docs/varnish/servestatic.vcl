# Varnish in front of servestatic replicas: the configuration the test suite runs
# (tests/cdn/test_varnish.py), shown in docs/deployment.md. Varnish 7.x, VCL 4.1.
#
# Start it with gzip handling off, so that Varnish stores each encoding the replicas send
# (zstd, br, gzip, identity) as it is, instead of asking for gzip and gunzipping itself:
#
#   varnishd -a :6081 -f /etc/varnish/servestatic.vcl -s malloc,256m -p http_gzip_support=off
vcl 4.1;

import directors;

# The replicas: each serves a copy of the same build, with etag = "content" so that their
# ETags agree (mtimes differ between copies) and either can answer a revalidation.
backend replica_a {
    .host = "127.0.0.1";
    .port = "8001";
}

backend replica_b {
    .host = "127.0.0.1";
    .port = "8002";
}

# Who may send PURGE requests (the deploy script, e.g. `servestatic diff ... | xargs`).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_init {
    new replicas = directors.round_robin();
    replicas.add_backend(replica_a);
    replicas.add_backend(replica_b);
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "PURGE not allowed"));
        }
        # Removes every stored variant (each encoding) of the URL.
        return (purge);
    }
    set req.backend_hint = replicas.backend();

    # servestatic varies on Accept-Encoding. Reduce the header to the codings servestatic
    # serves that the client accepts (q > 0), in a fixed order, so that the cache holds a
    # few variants per URL instead of one per browser's spelling. A coding the client
    # refuses ("br;q=0") never appears, so it is never chosen for it; a client that accepts
    # none of them says so explicitly ("identity").
    if (req.http.Accept-Encoding) {
        set req.http.X-Codings = "";
        if (req.http.Accept-Encoding ~ "(?i)(^|,)\s*zstd\s*(;\s*q\s*=\s*(1(\.0{0,3})?|0?\.0{0,2}[1-9][0-9]{0,2})\s*)?(,|$)") {
            set req.http.X-Codings = req.http.X-Codings + ", zstd";
        }
        if (req.http.Accept-Encoding ~ "(?i)(^|,)\s*br\s*(;\s*q\s*=\s*(1(\.0{0,3})?|0?\.0{0,2}[1-9][0-9]{0,2})\s*)?(,|$)") {
            set req.http.X-Codings = req.http.X-Codings + ", br";
        }
        if (req.http.Accept-Encoding ~ "(?i)(^|,)\s*(x-)?gzip\s*(;\s*q\s*=\s*(1(\.0{0,3})?|0?\.0{0,2}[1-9][0-9]{0,2})\s*)?(,|$)") {
            set req.http.X-Codings = req.http.X-Codings + ", gzip";
        }
        if (req.http.X-Codings == "") {
            set req.http.Accept-Encoding = "identity";
        } else {
            set req.http.Accept-Encoding = regsub(req.http.X-Codings, "^, ", "");
        }
        unset req.http.X-Codings;
    }
}

sub vcl_backend_fetch {
    # Second attempt after a 404 (see below): the other replica.
    if (bereq.retries > 0) {
        if (bereq.http.X-Tried == "replica_a") {
            set bereq.backend = replica_b;
        } else {
            set bereq.backend = replica_a;
        }
        unset bereq.http.X-Tried;
    }
}

sub vcl_backend_response {
    # A rolling deploy: a page of the new build asks for its hashed files, and the request
    # reaches a replica still on the old build (404). Ask the other replica once. (Replicas
    # on the new build keep the previous build's files with `--retain`, so a page of the
    # old build works from either.)
    if (beresp.status == 404 && bereq.retries == 0) {
        set bereq.http.X-Tried = beresp.backend.name;
        return (retry);
    }
    # Never keep a 404: the file may exist on the next request (or the other replica).
    if (beresp.status == 404) {
        set beresp.ttl = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Keep expired objects that have a validator for a day: Varnish then revalidates them
    # with If-None-Match / If-Modified-Since, and a 304 from either replica refreshes them
    # without sending the body again.
    if (beresp.http.ETag || beresp.http.Last-Modified) {
        set beresp.keep = 1d;
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
