// CloudFront Function (cloudfront-js-2.0), viewer request, on the site's default behavior only.
// SPA fallback: an app route (a path whose last segment has no file extension, "/" included) is served
// /index.html, so the app's client-side router handles it. Files such as /config.json and /assets/* are fetched as
// they are, and a missing one stays an error instead of turning into the app's HTML. The API's paths have their
// own behavior and never reach this function, so the API's 403 and 404 answers are never rewritten.
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
