// Stockpile: a CloudFront Function (viewer request) for PyPI repositories
// published to S3. The S3 REST origin has no index documents and cannot
// choose a page by the Accept header; this function does what
// `stockpile serve` does, before the cache is looked up (so the cache key is
// the rewritten URI and no Accept-based cache policy is needed):
//
//   /<repo>/simple/ and /<repo>/simple/<project>/
//       -> index.json when the client prefers application/vnd.pypi.simple.v1+json
//          (pip >= 22.2, uv), else index.html (older pip, poetry, browsers)
//   /<repo>/simple and /<repo>/simple/<project>
//       -> 301 to the same URL with a trailing "/"
//   any other URL ending in "/"
//       -> its index.html (the browse site)
//
// Set PYPI_REPOS to the names of your pypi repositories in repos.yaml.
// Runtime: cloudfront-js-1.0 or cloudfront-js-2.0 (ES5 only is used here).
// Optionally add "Vary: Accept" with a response headers policy, for proxies
// between clients and CloudFront.

var PYPI_REPOS = ['pypi'];

var JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
var HTML_TYPES = ['application/vnd.pypi.simple.v1+html', 'text/html', '*/*'];

// prefersJSON reports whether the Accept header ranks the PEP 691 JSON type
// above every HTML type it accepts.
function prefersJSON(accept) {
    var best = {};
    var parts = (accept || '').split(',');
    for (var i = 0; i < parts.length; i++) {
        var fields = parts[i].split(';');
        var media = fields[0].trim().toLowerCase();
        var q = 1;
        for (var j = 1; j < fields.length; j++) {
            var kv = fields[j].split('=');
            if (kv.length === 2 && kv[0].trim() === 'q') {
                var f = parseFloat(kv[1].trim());
                if (!isNaN(f)) {
                    q = f;
                }
            }
        }
        if (!(media in best) || q > best[media]) {
            best[media] = q;
        }
    }
    var json = best[JSON_TYPE] || 0;
    var html = 0;
    for (var k = 0; k < HTML_TYPES.length; k++) {
        html = Math.max(html, best[HTML_TYPES[k]] || 0);
    }
    return json > 0 && json > html;
}

function queryString(qs) {
    var out = [];
    for (var key in qs) {
        var values = qs[key].multiValue ? qs[key].multiValue : [qs[key]];
        for (var i = 0; i < values.length; i++) {
            out.push(values[i].value === '' ? key : key + '=' + values[i].value);
        }
    }
    return out.length ? '?' + out.join('&') : '';
}

function redirect(location) {
    return {
        statusCode: 301,
        statusDescription: 'Moved Permanently',
        headers: {
            'location': { value: location },
            'cache-control': { value: 'public, max-age=3600' }
        }
    };
}

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    for (var i = 0; i < PYPI_REPOS.length; i++) {
        var simple = '/' + PYPI_REPOS[i] + '/simple';
        if (uri === simple) {
            return redirect(uri + '/' + queryString(request.querystring));
        }
        if (uri.indexOf(simple + '/') !== 0) {
            continue;
        }
        var rest = uri.substring(simple.length + 1);
        if (rest === '' || /^[^\/]+\/$/.test(rest)) {
            var accept = request.headers.accept ? request.headers.accept.value : '';
            request.uri = uri + (prefersJSON(accept) ? 'index.json' : 'index.html');
            return request;
        }
        if (/^[^\/]+$/.test(rest) && rest !== 'index.html' && rest !== 'index.json') {
            return redirect(uri + '/' + queryString(request.querystring));
        }
        return request;
    }
    if (uri.charAt(uri.length - 1) === '/') {
        request.uri = uri + 'index.html';
    }
    return request;
}
