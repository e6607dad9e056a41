// Starts Swagger UI on the element that names the contract. It is a file of
// its own, not an inline script, so the page works under the
// Content-Security-Policy the server sends with it (script-src 'self').
(function () {
  'use strict';
  var el = document.getElementById('api-reference');
  window.ui = SwaggerUIBundle({
    url: el.getAttribute('data-spec-url'),
    domNode: el,
    layout: 'BaseLayout',
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    docExpansion: 'none',
    defaultModelsExpandDepth: 0,
    // No validator badge: it would send the contract to an outside service.
    validatorUrl: null
  });
})();
