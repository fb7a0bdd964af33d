// Stockpile: a CloudFront Function (runtime cloudfront-js-2.0, event type
// viewer-request) for a tree published to an S3 bucket with
// `stockpile publish`, behind a distribution whose origin is the bucket's
// REST endpoint. It applies the URL rules of `stockpile serve` and of
// cdn/nginx.conf before the cache is looked up, so the cache key is the
// object's key and no header needs to be part of it:
//
//   /  and  /dir/                    -> dir/index.html
//   /<pypi>/simple/, /<pypi>/simple/<project>/
//                                    -> index.json when the client prefers
//                                       application/vnd.pypi.simple.v1+json
//                                       (pip >= 22.2, uv), else index.html
//   /<pypi>/simple, /<pypi>/simple/<project>
//                                    -> 301 to the same URL with a trailing "/"
//   /<npm>/<name>, /<npm>/@scope/<name>, /<npm>/@scope%2f<name>, %2F too,
//   /<npm>/<name>/<dist-tag>, /<npm>/-/npm/v1/keys
//                                    -> that folder's index.json (packuments)
//   /<npm>/@scope%2f<name>/-/<file>.tgz (yarn 4)
//                                    -> /<npm>/@scope/<name>/-/<file>.tgz
//   a literal "+" anywhere           -> %2B (S3 reads a literal "+" as a
//                                       space; dnf and TUF clients send one)
//   /.stockpile/ (publish's own records), "." and ".." segments -> 404
//
// A missing key is 403 from S3 without s3:ListBucket: map it to 404 with a
// custom error response on the distribution, or grant ListBucket (see
// docs/cdn.md).
//
// List your repositories, as named in repos.yaml:
var PYPI_REPOSITORIES = ['pypi'];
var NPM_REPOSITORIES = ['npm'];

var PYPI_JSON = 'application/vnd.pypi.simple.v1+json';
var PYPI_HTML = ['application/vnd.pypi.simple.v1+html', 'text/html', '*/*'];
var NAME = /^[A-Za-z0-9_.~@-]+(\/[A-Za-z0-9_.~@-]+)*$/;
var PROJECT = /^[A-Za-z0-9_.-]+$/;
// Index documents by their own names, also as TUF targets ("<sha256>.index.json").
var INDEX_JSON = /.\/([0-9a-f]{32,}\.)?index\.json$/;
var INDEX_FILE = /^([0-9a-f]{32,}\.)?index\.(html|json)$/;

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (hidden(uri)) {
        return {statusCode: 404, statusDescription: 'Not Found'};
    }
    var m = /^\/([^\/]+)\/(.*)$/.exec(uri);
    if (m && NPM_REPOSITORIES.indexOf(m[1]) >= 0) {
        uri = npm(m[1], m[2]);
    } else if (m && PYPI_REPOSITORIES.indexOf(m[1]) >= 0) {
        var page = pypi(m[1], m[2], request);
        if (typeof page !== 'string') {
            return page;
        }
        uri = page;
    }
    if (uri.charAt(uri.length - 1) === '/') {
        uri += 'index.html';
    }
    request.uri = uri.replace(/\+/g, '%2B');
    return request;
}

// npm returns the key for a URL inside an npm repository.
function npm(repo, rest) {
    rest = rest.replace(/%2f/gi, '/').replace(/%40/g, '@');
    if (/\/-\/[^\/]+\.tgz$/.test(rest)) {
        return '/' + repo + '/' + rest;
    }
    var name = rest.replace(/\/+$/, '');
    if (INDEX_JSON.test(name)) {
        return '/' + repo + '/' + rest; // a packument by its own key
    }
    if (name !== '' && NAME.test(name)) {
        return '/' + repo + '/' + name + '/index.json';
    }
    return '/' + repo + '/' + rest;
}

// pypi returns the key for a URL inside a PyPI repository, or a redirect.
function pypi(repo, rest, request) {
    var uri = '/' + repo + '/' + rest;
    var page = /^simple(\/([^\/]*))?(\/?)$/.exec(rest);
    if (!page) {
        return uri;
    }
    var project = page[2] || '';
    if (project !== '' && !PROJECT.test(project)) {
        return uri;
    }
    if (page[3] === '/' || rest === 'simple/') {
        var accept = request.headers.accept ? request.headers.accept.value : '';
        return uri + (prefersJSON(accept) ? 'index.json' : 'index.html');
    }
    if (INDEX_FILE.test(project)) {
        return uri;
    }
    return redirect(uri + '/' + queryString(request.querystring));
}

// hidden reports whether a URL names something never served: publish's
// records, temporary files, or a dot segment in any spelling.
function hidden(uri) {
    var segments = uri.replace(/%2e/gi, '.').replace(/%2f/gi, '/').split('/');
    for (var i = 0; i < segments.length; i++) {
        var s = segments[i];
        if (s === '.' || s === '..' || s === '.stockpile' || s.indexOf('.tmp-') === 0) {
            return true;
        }
    }
    return false;
}

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
    var json = best[PYPI_JSON] || 0;
    var html = 0;
    for (var k = 0; k < PYPI_HTML.length; k++) {
        html = Math.max(html, best[PYPI_HTML[k]] || 0);
    }
    return json > 0 && json > html;
}

function queryString(qs) {
    var out = [];
    for (var key in qs || {}) {
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
            'location': {value: location},
            'cache-control': {value: 'public, max-age=3600'}
        }
    };
}
