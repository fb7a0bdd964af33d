// CloudFront Function (runtime cloudfront-js-2.0, event type viewer-request)
// for the npm repositories of a Stockpile tree published to S3.
//
// S3 has no index documents, and npm clients ask for names that are folders
// in the tree:
//   /npm/left-pad, /npm/@scope%2fname, /npm/@scope%2Fname, /npm/@scope/name
//       -> the packument, stored at /npm/<name>/index.json
//   /npm/<name>/latest (pnpm), /npm/-/npm/v1/keys (npm audit signatures)
//       -> /npm/<name>/latest/index.json, /npm/-/npm/v1/keys/index.json
//   /npm/@scope%2fname/-/name-1.0.0.tgz (yarn 4)
//       -> /npm/@scope/name/-/name-1.0.0.tgz
// Tarball URLs are otherwise left as they are: a '+' in a version is written
// %2B in the packuments, and S3 decodes it to the '+' of the key.
//
// Attach it to the cache behavior of each npm repository (path pattern
// /npm/*) and list the repositories' folders below.
var NPM_REPOSITORIES = ['/npm/'];

function handler(event) {
  var request = event.request;
  var uri = request.uri;
  for (var i = 0; i < NPM_REPOSITORIES.length; i++) {
    var prefix = NPM_REPOSITORIES[i];
    if (uri.indexOf(prefix) !== 0) {
      continue;
    }
    var rest = uri.substring(prefix.length).replace(/%2f/gi, '/');
    if (/(^|\/)-\/[^\/]+\.tgz$/.test(rest)) {
      request.uri = prefix + rest;
    } else if (rest.replace(/\/+$/, '') !== '') {
      request.uri = prefix + rest.replace(/\/+$/, '') + '/index.json';
    }
    break;
  }
  return request;
}
