/*
 * The reference storefront: how a browser front end uses this API. Plain JavaScript, no build step, no library.
 *
 * Read it top to bottom:
 *   1. api()        one fetch wrapper: cookie-mode auth, CSRF, token refresh, the API's error shape
 *   2. h(), render  building the page from data without innerHTML (no HTML injection from product names)
 *   3. the views    one async function per screen, each commented with the API calls it makes
 *   4. the router   a hash router (#/cart, #/products/<slug>, ...), so the server serves a single page
 *
 * Auth is "cookie mode": register/login/refresh with ?use_cookies=true put the JWTs in HttpOnly cookies that the
 * script never sees. The browser sends them on every same-origin request; any write must then prove it comes
 * from this page by echoing the csrftoken cookie in an X-CSRFToken header (Django's CSRF check).
 *
 * Paying: checkout answers `next_step` for a redirect provider (the sandbox here): the browser goes there, the
 * customer presses a button, the payment page sends the browser back to the `return_url` we gave, with
 * ?order_key=...&status=paid|failed. The order page then reads the order from the API: the query is a hint only.
 *
 * Guests buy without an account. POST /cart/ (no login) answers a cart_token, kept in localStorage and sent as
 * X-Cart-Token with every cart call; guest checkout (POST /orders/guest/checkout/) answers the order with an
 * order_token, kept per order key and sent as X-Order-Token to /orders/guest/<order_key>/ (read, pay, cancel).
 * Logging in or signing up sends the cart token too: the API merges the guest cart into the account's cart and
 * the token dies. A customer with a verified e-mail claims the guest orders placed with it (POST /orders/claim/).
 *
 * Vouchers: the cart applies a code (POST /cart/voucher/, DELETE to remove; a guest's with X-Cart-Token) and shows
 * the API's `discounts` and discounted totals; checkout takes the cart's code along. A refusal's `detail` is written
 * for shoppers and shown as it is. An order a voucher brings to 0 is paid as placed: no payment page at all.
 */
"use strict";

const API = ""; // same origin. A front end elsewhere puts the API's origin here and is listed in CORS_ALLOWED_ORIGINS.
const PAGE_SIZE = 12;
const state = { user: null, cartCount: 0 };

// Guest tokens live in localStorage: they are the guest's only key to the cart and to their orders.
const guestTokens = {
  cart: () => localStorage.getItem("shop.cartToken"),
  setCart: (token) => (token ? localStorage.setItem("shop.cartToken", token) : localStorage.removeItem("shop.cartToken")),
  orders: () => JSON.parse(localStorage.getItem("shop.guestOrders") || "{}"),
  order: (key) => guestTokens.orders()[key] || null,
  setOrder: (key, token) => localStorage.setItem("shop.guestOrders",
    JSON.stringify({ ...guestTokens.orders(), [key]: token })),
};

// --- 1. Talking to the API ---------------------------------------------------------------------------------------

class ApiError extends Error {
  /** Every error the API answers is JSON {detail, code} (plus errors: {field: [messages]} for bad input). */
  constructor(status, body) {
    super(body.detail || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || `http_${status}`;
    this.errors = body.errors || {};
  }
}

function readCookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** The CSRF token: the csrftoken cookie (set by login/register in cookie mode). If it is missing, ask
 *  GET /auth/csrf/ to set it, where the API has that endpoint; a 404 there just means "log in first". */
async function csrfToken() {
  let token = readCookie("csrftoken");
  if (!token) {
    try {
      const response = await fetch(API + "/auth/csrf/", { credentials: "same-origin" });
      const body = response.ok ? await response.json().catch(() => ({})) : {};
      token = readCookie("csrftoken") || body.csrfToken || body.csrf_token || "";
    } catch (_) {
      token = "";
    }
  }
  return token;
}

/**
 * Call the API: `api("/cart/items/", {method: "POST", body: {...}})` resolves with the JSON answer or throws an
 * ApiError. Writes carry X-CSRFToken. A 401 means the 5-minute access cookie ran out: refresh once and retry.
 */
async function api(path, { method = "GET", body, headers = {}, retry = true } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  // Nobody logged in: the guest cart's token names the cart (and is merged by a login or sign-up).
  if (!state.user && guestTokens.cart()) init.headers["X-Cart-Token"] = guestTokens.cart();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json"; // auth endpoints accept JSON only (no cross-site forms)
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && method !== "HEAD") {
    const token = await csrfToken();
    if (token) init.headers["X-CSRFToken"] = token;
  }
  const response = await fetch(API + path, init);
  // No csrftoken cookie: this browser never logged in, so there is no session to refresh.
  if (response.status === 401 && retry && readCookie("csrftoken") && (await refreshSession())) {
    return api(path, { method, body, headers, retry: false });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data || {});
  return data;
}

let refreshing = null;

/** POST /auth/token/refresh/?use_cookies=true: the refresh token travels as an HttpOnly cookie, so the body is
 *  empty; the answer sets fresh cookies. False when there is no session to refresh.
 *  One refresh at a time: the API rotates refresh tokens (the old one is revoked), so requests that get their
 *  401 together must share one refresh instead of racing with the same, soon revoked, token. */
function refreshSession() {
  refreshing = refreshing || api("/auth/token/refresh/?use_cookies=true", { method: "POST", body: {}, retry: false })
    .then(() => true, () => {
      state.user = null;
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** GET /auth/me/: who is logged in (null when nobody). */
async function loadUser() {
  try {
    state.user = await api("/auth/me/");
  } catch (_) {
    state.user = null;
  }
}

/** GET /cart/: only its item count, for the header (a guest's by X-Cart-Token; a dead token is forgotten). */
async function loadCartCount() {
  if (!state.user && !guestTokens.cart()) {
    state.cartCount = 0;
    return;
  }
  try {
    state.cartCount = (await api("/cart/")).total_items;
  } catch (error) {
    if (!state.user && error.status === 404) guestTokens.setCart(null); // expired or merged: start afresh
    state.cartCount = 0;
  }
}

/** A guest's first add to cart: POST /cart/ without a login answers a new guest cart and its cart_token. */
async function ensureGuestCart() {
  if (state.user || guestTokens.cart()) return;
  guestTokens.setCart((await api("/cart/", { method: "POST" })).cart_token);
}

// --- 2. Building the page ----------------------------------------------------------------------------------------

/** h("a", {href: "#/"}, "Home"): an element with attributes (on* become event listeners) and children (text or
 *  elements; arrays are flattened, null/false skipped). Text goes in as text, never as HTML. */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replace the page with `children` (null/false skipped, as h() does: an order with no shipment yet shows no
 *  "null"). */
function render(...children) {
  document.getElementById("view").replaceChildren(
    ...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
}

let keepFlash = false;

/** A message above the page; `keep`: it survives the navigation that follows (e.g. "Welcome" after logging in). */
function flash(message, kind = "info", keep = false) {
  const box = document.getElementById("flash");
  box.replaceChildren(message ? h("p", { class: `flash ${kind}`, id: "flash-message" }, message) : "");
  keepFlash = keep;
}

/** An ApiError as people read it: the detail, then each field's messages. */
function errorText(error) {
  if (!(error instanceof ApiError)) return "Could not reach the shop. Check your connection and try again.";
  const fields = Object.entries(error.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`);
  return [error.message, ...fields.filter((line) => !error.message.includes(line))].join(" ");
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function renderNav() {
  const link = (href, text, id) => h("a", { href, id }, text);
  const nav = [link("#/", "Shop", "nav-shop"), link("#/cart", `Cart (${state.cartCount})`, "nav-cart")];
  if (state.user) {
    nav.push(link("#/orders", "Orders", "nav-orders"),
      h("span", { class: "muted", id: "nav-user" }, state.user.email),
      h("button", { type: "button", class: "link", id: "logout", onclick: logout }, "Log out"));
  } else {
    nav.push(link("#/login", "Log in", "nav-login"), link("#/signup", "Sign up", "nav-signup"));
  }
  document.getElementById("nav").replaceChildren(...nav);
}

function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

/** Disable a form's buttons while `work` runs, and show what went wrong if it fails. */
async function submitting(form, work) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => (button.disabled = true));
  try {
    await work();
  } catch (error) {
    flash(errorText(error), "error");
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function primaryImage(product) {
  const images = product.images || [];
  const image = images.find((candidate) => candidate.is_primary) || images[0];
  if (!image) return h("div", { class: "thumb empty" });
  const img = h("img", { class: "thumb", src: image.image_url, alt: "", loading: "lazy" });
  img.addEventListener("error", () => img.replaceWith(h("div", { class: "thumb empty" }))); // a missing image
  return img;
}

/** Pagination links from a list answer ({count, next, previous, results}). */
function pager(data, page, hrefFor) {
  const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
  return h("nav", { class: "pager", "aria-label": "Pages" },
    data.previous ? h("a", { href: hrefFor(page - 1), rel: "prev" }, "← Previous") : h("span"),
    h("span", { class: "muted" }, `Page ${page} of ${pages} · ${data.count} in all`),
    data.next ? h("a", { href: hrefFor(page + 1), rel: "next" }, "Next →") : h("span"));
}

function needLogin() {
  render(h("section", { class: "panel" }, h("h1", {}, "Please log in"),
    h("p", {}, h("a", { href: `#/login?next=${encodeURIComponent(location.hash)}` }, "Log in"), " or ",
      h("a", { href: `#/signup?next=${encodeURIComponent(location.hash)}` }, "create an account"), " to continue.")));
}

// --- 3. The views ------------------------------------------------------------------------------------------------

let categories = null;

/** Products: GET /products/?search=&category__slug=&page=&page_size= (public, paginated), and
 *  GET /products/categories/ for the filter. */
async function productsView(query) {
  const page = Number(query.get("page")) || 1;
  const search = query.get("search") || "";
  const category = query.get("category") || "";
  const params = new URLSearchParams({ page, page_size: PAGE_SIZE });
  if (search) params.set("search", search);
  if (category) params.set("category__slug", category);
  categories = categories || (await api("/products/categories/?page_size=100")).results;
  const data = await api(`/products/?${params}`);

  const hrefFor = (n) => `#/?${new URLSearchParams({ search, category, page: n })}`;
  const form = h("form", { class: "search", role: "search" },
    h("input", { type: "search", name: "search", value: search, placeholder: "Search products", id: "search",
      "aria-label": "Search products" }),
    h("select", { name: "category", "aria-label": "Category" }, h("option", { value: "" }, "All categories"),
      categories.map((c) => h("option", { value: c.slug, selected: c.slug === category }, c.name))),
    h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = formData(form);
    navigate(`#/?${new URLSearchParams({ search: values.search, category: values.category, page: 1 })}`);
  });

  const cards = data.results.map((product) =>
    h("li", { class: "card" },
      h("a", { href: `#/products/${encodeURIComponent(product.slug)}`, class: "product-link" },
        primaryImage(product), h("strong", {}, product.name)),
      h("span", { class: "price" }, product.price),
      product.variants && product.variants.length ? h("span", { class: "muted" }, "several options") : null));
  render(h("h1", {}, search ? `Results for “${search}”` : "Products"), form,
    cards.length ? h("ul", { class: "grid", id: "products" }, cards) : h("p", { class: "muted" }, "No products match."),
    pager(data, page, hrefFor));
}

/** One product: GET /products/<slug>/ (its variants come along). Adding it: POST /cart/items/
 *  {product_id, variant_id, quantity}; a product with variants needs the chosen variant_id. */
async function productView(slug) {
  const product = await api(`/products/${encodeURIComponent(slug)}/`);
  const variants = (product.variants || []).filter((variant) => variant.is_active);
  const price = h("p", { class: "price big", id: "price" }, product.price);
  const stock = h("p", { class: "muted", id: "stock" });
  const variantSelect = variants.length
    ? h("select", { name: "variant_id", id: "variant" },
      variants.map((v) => h("option", { value: v.id, disabled: v.stock_quantity < 1 },
        `${v.name}${v.stock_quantity < 1 ? " (sold out)" : ""}`)))
    : null;
  const showChoice = () => {
    const chosen = variants.find((v) => String(v.id) === variantSelect?.value);
    price.textContent = chosen ? chosen.price : product.price;
    const available = chosen ? chosen.stock_quantity : product.stock_quantity;
    stock.textContent = available > 0 ? `${available} in stock` : "Sold out";
  };
  if (variantSelect) {
    variantSelect.value = String((variants.find((v) => v.stock_quantity > 0) || variants[0]).id);
    variantSelect.addEventListener("change", showChoice);
  }
  showChoice();

  const form = h("form", { class: "buy" },
    variantSelect ? field("Option", variantSelect) : null,
    field("Quantity", h("input", { type: "number", name: "quantity", min: 1, max: 99, value: 1, id: "quantity" })),
    h("button", { type: "submit", id: "add-to-cart" }, "Add to cart"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    return submitting(form, async () => {
      await ensureGuestCart(); // no account needed: a guest cart
      const values = formData(form);
      const line = { product_id: product.id, quantity: Number(values.quantity) || 1 };
      if (values.variant_id) line.variant_id = Number(values.variant_id);
      await api("/cart/items/", { method: "POST", body: line });
      await loadCartCount();
      renderNav();
      flash(`${product.name} is in your cart.`, "success");
    });
  });

  render(h("p", {}, h("a", { href: "#/" }, "← All products")),
    h("article", { class: "product" },
      h("div", { class: "gallery" }, primaryImage(product)),
      h("div", {},
        h("h1", { id: "product-name" }, product.name),
        product.category ? h("p", { class: "muted" }, product.category.name) : null,
        price, stock, h("p", {}, product.description), form)));
}

/** What sales and the voucher took off, one row each: the answer's `discounts` [{source, code, name, target,
 *  amount}] (the cart's and an order's have the same shape). `columns`: how many cells the label spans. */
function discountRows(discounts, columns) {
  return (discounts || []).map((discount) => h("tr", { class: "discount-line" },
    h("th", { colspan: columns }, discount.source === "voucher" ? `Voucher ${discount.code}` : `Sale: ${discount.name}`,
      discount.source === "voucher" && discount.name ? h("span", { class: "muted" }, ` (${discount.name})`) : null,
      discount.target === "shipping" ? h("span", { class: "muted" }, " on shipping") : null),
    h("td", { class: "num discount" }, `−${discount.amount}`)));
}

/**
 * The voucher box of the cart, for a signed-in customer and a guest alike (a guest's calls carry X-Cart-Token).
 * Apply: POST /cart/voucher/ {code}; the answer is the whole cart, priced with it. Remove: DELETE /cart/voucher/.
 * A code the API refuses is a 400 whose `detail` is written for the shopper ("Code NOPE is not valid.", "Code X
 * needs a spend of at least 50.00 USD; your items come to 30.00 USD."): shown as it is, next to the field. A code
 * that stopped applying (the cart changed) stays on the cart with `voucher.applies: false` and its
 * `refusal.detail`, which checkout would answer too.
 */
function voucherBox(cart) {
  const error = h("p", { class: "error", id: "voucher-error", role: "alert" });
  if (cart.voucher) {
    const remove = h("button", { type: "button", class: "secondary", id: "remove-voucher", onclick: async () => {
      remove.disabled = true;
      try {
        await api("/cart/voucher/", { method: "DELETE" });
        flash(`Voucher ${cart.voucher.code} removed.`);
        cartView();
      } catch (failure) {
        remove.disabled = false;
        error.textContent = errorText(failure);
      }
    } }, "Remove");
    return h("section", { class: "panel voucher", id: "voucher" }, h("h2", {}, "Voucher"),
      h("p", {}, "Code ", h("strong", { id: "voucher-code" }, cart.voucher.code), " ",
        cart.voucher.applies ? h("span", { class: "badge ok" }, "applied") : h("span", { class: "badge wait" },
          "does not apply"), " ", remove),
      cart.voucher.refusal ? h("p", { class: "error", id: "voucher-refusal" }, cart.voucher.refusal.detail) : null,
      error);
  }
  const input = h("input", { name: "code", id: "voucher-input", required: true, maxlength: 40,
    autocomplete: "off", "aria-label": "Voucher code", placeholder: "Voucher code" });
  const form = h("form", { class: "voucher-form", id: "voucher-form" }, input,
    h("button", { type: "submit", id: "apply-voucher" }, "Apply"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    error.textContent = "";
    api("/cart/voucher/", { method: "POST", body: { code: input.value.trim() } })
      .then((priced) => {
        flash(`Voucher ${priced.voucher.code} applied.`, "success");
        cartView();
      })
      .catch((failure) => {
        // The API's detail, as the shopper reads it; the code they typed stays in the field to correct.
        error.textContent = failure instanceof ApiError ? failure.message : errorText(failure);
        button.disabled = false;
        input.focus();
      });
  });
  return h("section", { class: "panel voucher", id: "voucher" }, h("h2", {}, "Voucher"), form, error);
}

/** The cart: GET /cart/; change a quantity: PATCH /cart/items/<id>/ {quantity}; remove: DELETE /cart/items/<id>/.
 *  A guest's the same, with X-Cart-Token. The totals are the API's: `subtotal` (lines at their prices), each of
 *  `discounts` (sales, the voucher), `cart_total` (what checkout charges for the items). */
async function cartView() {
  const cart = !state.user && !guestTokens.cart() ? { items: [], total_items: 0 } : await api("/cart/");
  state.cartCount = cart.total_items;
  renderNav();
  if (!cart.items.length) {
    return render(h("h1", {}, "Your cart"), h("p", { class: "muted", id: "cart-empty" }, "Your cart is empty. ",
      h("a", { href: "#/" }, "Browse the products.")));
  }
  const rows = cart.items.map((item) => {
    const quantity = h("input", { type: "number", min: 1, max: 99, value: item.quantity, class: "qty",
      "aria-label": `Quantity of ${item.product.name}` });
    quantity.addEventListener("change", async () => {
      try {
        await api(`/cart/items/${item.id}/`, { method: "PATCH", body: { quantity: Number(quantity.value) } });
        flash("");
      } catch (error) {
        flash(errorText(error), "error");
      }
      cartView();
    });
    const remove = h("button", { type: "button", class: "link", onclick: async () => {
      await api(`/cart/items/${item.id}/`, { method: "DELETE" }).catch((error) => flash(errorText(error), "error"));
      cartView();
    } }, "Remove");
    return h("tr", {},
      h("td", {}, h("a", { href: `#/products/${encodeURIComponent(item.product.slug)}` }, item.product.name),
        item.variant ? h("div", { class: "muted" }, item.variant.name) : null),
      h("td", { class: "num" }, item.price_snapshot), h("td", {}, quantity),
      h("td", { class: "num" }, item.item_total), h("td", {}, remove));
  });
  const discounted = (cart.discounts || []).length > 0;
  render(h("h1", {}, "Your cart"),
    h("table", { class: "lines", id: "cart" },
      h("thead", {}, h("tr", {}, h("th", {}, "Item"), h("th", { class: "num" }, "Price"), h("th", {}, "Quantity"),
        h("th", { class: "num" }, "Total"), h("th"))),
      h("tbody", {}, rows),
      h("tfoot", {},
        discounted ? h("tr", {}, h("th", { colspan: 3 }, "Subtotal"),
          h("td", { class: "num", id: "cart-subtotal" }, cart.subtotal), h("td")) : null,
        discountRows(cart.discounts, 3).map((row) => (row.append(h("td")), row)),
        h("tr", {}, h("th", { colspan: 3 }, "Items total"),
          h("th", { class: "num", id: "cart-total" }, cart.cart_total), h("th")))),
    voucherBox(cart),
    h("p", { class: "actions" }, h("a", { class: "button", href: "#/checkout", id: "to-checkout" }, "Check out")));
}

/** Sign up: POST /auth/register/?use_cookies=true. The answer is {user}; the tokens arrive as HttpOnly cookies,
 *  with the csrftoken cookie the later writes echo. */
function signupView(query) {
  renderAuthForm("/auth/register/?use_cookies=true", query, {
    id: "signup-form", title: "Create an account", button: "Sign up",
    fields: [
      field("First name", h("input", { name: "first_name", required: true, autocomplete: "given-name" })),
      field("Last name", h("input", { name: "last_name", required: true, autocomplete: "family-name" })),
      field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email" })),
      field("Password", h("input", { name: "password", type: "password", required: true,
        autocomplete: "new-password" })),
      field("Password again", h("input", { name: "password2", type: "password", required: true,
        autocomplete: "new-password" })),
    ],
    footer: ["Already have an account? ", h("a", { href: "#/login" }, "Log in")],
  });
}

/** Log in: POST /auth/login/?use_cookies=true {email, password}; same answer and cookies as sign-up. */
function loginView(query) {
  renderAuthForm("/auth/login/?use_cookies=true", query, {
    id: "login-form", title: "Log in", button: "Log in",
    fields: [
      field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email" })),
      field("Password", h("input", { name: "password", type: "password", required: true,
        autocomplete: "current-password" })),
    ],
    footer: ["New here? ", h("a", { href: "#/signup" }, "Create an account")],
  });
}

/** A form whose fields are POSTed as JSON to `path`; an answer {user} logs the visitor in. */
function renderAuthForm(path, query, { id, title, button, fields, footer }) {
  const form = h("form", { class: "panel narrow", id }, h("h1", {}, title), fields,
    h("button", { type: "submit" }, button), h("p", { class: "muted" }, footer));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const answer = await api(path, { method: "POST", body: formData(form) }); // carries X-Cart-Token, if any
      await loggedIn(answer, query);
    });
  });
  render(form);
}

async function loggedIn(answer, query) {
  const user = answer.user;
  state.user = user;
  guestTokens.setCart(null); // merged into the account's cart: the API closed the guest cart
  await loadCartCount();
  renderNav();
  // cart_merge lists what could not be taken over as it was (capped, dropped, re-priced).
  const changes = (answer.cart_merge && answer.cart_merge.adjustments) || [];
  const notes = changes.map((change) => `${change.name}: ${change.kind.replaceAll("_", " ")}`).join("; ");
  flash(`Welcome, ${user.first_name || user.email}.${notes ? ` Your cart was merged (${notes}).` : ""}`,
    "success", true);
  navigate(query.get("next") || "#/");
}

/** Log out: POST /auth/logout/ with an empty body: the API blacklists the refresh token from its cookie and
 *  deletes both cookies. */
async function logout() {
  await api("/auth/logout/", { method: "POST", body: {} }).catch(() => null);
  state.user = null;
  state.cartCount = 0;
  renderNav();
  flash("You are logged out.", "info", true);
  navigate("#/");
}

/** The checkout's summary of the cart: items total after sales and the voucher (`cart_total`), what each
 *  discount took, and a voucher that no longer applies (checkout would refuse it: remove it in the cart). */
function cartSummary(cart) {
  const voucher = cart.voucher;
  return h("section", { class: "panel" }, h("h2", {}, "Summary"),
    (cart.discounts || []).length ? h("table", { class: "lines summary", id: "checkout-discounts" },
      h("tbody", {}, h("tr", {}, h("th", {}, "Subtotal"), h("td", { class: "num" }, cart.subtotal)),
        discountRows(cart.discounts, 1))) : null,
    h("p", {}, `${cart.total_items} item(s), items total `, h("strong", { id: "checkout-items-total" }, cart.cart_total),
      ". Shipping is added by the shop; the order shows the final total."),
    voucher && !voucher.applies ? h("p", { class: "error", id: "checkout-voucher-refusal" },
      `${voucher.refusal ? voucher.refusal.detail : `Code ${voucher.code} does not apply.`} `,
      h("a", { href: "#/cart" }, "Change it in your cart.")) : null);
}

/** After checkout: a payment page to go to (`next_step`), or the order itself. An order a voucher brought to 0
 *  is paid as placed (payment_status "paid", no payment opened): there is nothing to pay, so say so. */
function afterCheckout(order, orderHash) {
  state.cartCount = 0;
  renderNav();
  if (order.next_step) {
    window.location.assign(order.next_step); // a redirect provider's payment page (the sandbox here)
    return;
  }
  if (order.paid_at && Number(order.total) === 0) {
    flash("Nothing to pay: your discounts cover the whole order. It is confirmed.", "success", true);
  }
  navigate(orderHash); // cash on delivery (nothing to pay now), or nothing to pay at all
}

/**
 * Checkout. Reads: GET /cart/, GET /auth/addresses/ (the address book), GET /orders/shipping-methods/,
 * GET /payments/methods/. A new address is saved first (POST /auth/addresses/), then the order is placed with
 * POST /orders/checkout/ {shipping_address: <address id>, shipping_method, payment_method, return_url} and an
 * Idempotency-Key header (one per visit of this page: a double click or a retry never makes two orders). The
 * cart's voucher comes along by itself; a code that cannot be used any more (its last use went to someone else)
 * is a 400 whose detail is shown, and nothing is placed.
 */
async function checkoutView() {
  if (!state.user) return guestCheckoutView();
  const [cart, addresses, shippingMethods, paymentMethods] = await Promise.all([
    api("/cart/"), api("/auth/addresses/?page_size=100"), api("/orders/shipping-methods/"), api("/payments/methods/"),
  ]);
  if (!cart.items.length) return navigate("#/cart");
  const idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;

  const saved = addresses.results.map((address, index) =>
    h("label", { class: "choice" }, h("input", { type: "radio", name: "address", value: address.id,
      checked: address.is_default || index === 0 }),
    ` ${address.full_name}, ${address.address_line_1}, ${address.city} ${address.postal_code} ${address.country}`));
  const newAddress = h("fieldset", { class: "new-address", id: "new-address" },
    field("Full name", h("input", { name: "full_name", autocomplete: "name",
      value: `${state.user.first_name} ${state.user.last_name}`.trim() })),
    field("Phone", h("input", { name: "phone", autocomplete: "tel" })),
    field("Street and number", h("input", { name: "address_line_1", autocomplete: "address-line1" })),
    field("City", h("input", { name: "city", autocomplete: "address-level2" })),
    field("Postal code", h("input", { name: "postal_code", autocomplete: "postal-code" })),
    field("Country (two letters)", h("input", { name: "country", maxlength: 2, value: "US",
      autocomplete: "country" })));
  const addressChoices = [
    ...saved,
    h("label", { class: "choice" }, h("input", { type: "radio", name: "address", value: "new", checked: !saved.length }),
      " A new address"),
  ];

  // Stripe confirms a card in the browser with Stripe.js, loaded from Stripe's CDN: not in this no-CDN demo.
  const usable = paymentMethods.filter((method) => method.kind !== "client");
  const form = h("form", { id: "checkout-form", class: "checkout" },
    h("h1", {}, "Checkout"),
    h("section", { class: "panel" }, h("h2", {}, "Ship to"), addressChoices, newAddress),
    shippingMethods.length ? h("section", { class: "panel" }, h("h2", {}, "Shipping"),
      shippingMethods.map((method, index) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "shipping_method", value: method.id, checked: index === 0 }),
        ` ${method.name}: ${method.price}`, method.free_over ? ` (free over ${method.free_over})` : ""))) : null,
    h("section", { class: "panel" }, h("h2", {}, "Payment"),
      usable.map((method, index) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "payment_method", value: method.code, checked: index === 0 }),
        ` ${method.name}`))),
    cartSummary(cart),
    h("button", { type: "submit", id: "place-order" }, "Place order"));

  const toggleNewAddress = () => {
    newAddress.hidden = formData(form).address !== "new";
  };
  form.addEventListener("change", toggleNewAddress);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const values = formData(form);
      let addressId = Number(values.address);
      if (values.address === "new") {
        const address = await api("/auth/addresses/", { method: "POST", body: {
          full_name: values.full_name, phone: values.phone, address_line_1: values.address_line_1,
          city: values.city, postal_code: values.postal_code, country: values.country,
        } });
        addressId = address.id;
      }
      const order = await api("/orders/checkout/", {
        method: "POST",
        headers: { "Idempotency-Key": idempotencyKey },
        body: {
          shipping_address: addressId,
          shipping_method: values.shipping_method ? Number(values.shipping_method) : null,
          payment_method: values.payment_method,
          // Where the payment page sends the customer back; the API fills in {order_id} and adds ?order_key=.
          return_url: `${location.origin}${location.pathname}#/orders/{order_id}`,
        },
      });
      afterCheckout(order, `#/orders/${order.id}`);
    });
  });
  render(form);
  toggleNewAddress();
}

/**
 * Guest checkout, no account: GET /cart/ (X-Cart-Token), GET /orders/shipping-methods/, GET /payments/methods/,
 * then POST /orders/guest/checkout/ {email, shipping_address: {...}, shipping_method, payment_method, return_url}
 * with X-Cart-Token and an Idempotency-Key. The answer's order_token is the guest's key to the order: kept here
 * per order key (the confirmation e-mail carries a link with one too).
 */
async function guestCheckoutView() {
  if (!guestTokens.cart()) return navigate("#/cart");
  const [cart, shippingMethods, paymentMethods] = await Promise.all([
    api("/cart/"), api("/orders/shipping-methods/"), api("/payments/methods/"),
  ]);
  if (!cart.items.length) return navigate("#/cart");
  const idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const usable = paymentMethods.filter((method) => method.kind !== "client"); // no Stripe.js in this demo
  const form = h("form", { id: "guest-checkout-form", class: "checkout" },
    h("h1", {}, "Checkout as a guest"),
    h("p", { class: "muted" }, "Have an account? ", h("a", { href: "#/login?next=%23%2Fcheckout" }, "Log in"),
      " and your cart comes with you."),
    h("section", { class: "panel" }, h("h2", {}, "Contact"),
      field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email",
        id: "guest-email" }))),
    h("section", { class: "panel" }, h("h2", {}, "Ship to"),
      field("Full name", h("input", { name: "full_name", required: true, autocomplete: "name" })),
      field("Phone", h("input", { name: "phone", autocomplete: "tel" })),
      field("Street and number", h("input", { name: "address_line_1", required: true,
        autocomplete: "address-line1" })),
      field("City", h("input", { name: "city", required: true, autocomplete: "address-level2" })),
      field("Postal code", h("input", { name: "postal_code", autocomplete: "postal-code" })),
      field("Country (two letters)", h("input", { name: "country", maxlength: 2, value: "US", required: true,
        autocomplete: "country" }))),
    shippingMethods.length ? h("section", { class: "panel" }, h("h2", {}, "Shipping"),
      shippingMethods.map((method, index) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "shipping_method", value: method.id, checked: index === 0 }),
        ` ${method.name}: ${method.price}`))) : null,
    h("section", { class: "panel" }, h("h2", {}, "Payment"),
      usable.map((method, index) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "payment_method", value: method.code, checked: index === 0 }),
        ` ${method.name}`))),
    cartSummary(cart),
    h("button", { type: "submit", id: "place-order" }, "Place order"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const values = formData(form);
      const order = await api("/orders/guest/checkout/", {
        method: "POST",
        headers: { "Idempotency-Key": idempotencyKey },
        body: {
          email: values.email,
          shipping_address: { full_name: values.full_name, phone: values.phone, address_line_1: values.address_line_1,
            city: values.city, postal_code: values.postal_code, country: values.country },
          shipping_method: values.shipping_method ? Number(values.shipping_method) : null,
          payment_method: values.payment_method,
          return_url: `${location.origin}${location.pathname}#/guest-orders/{order_key}`,
        },
      });
      guestTokens.setOrder(order.order_key, order.order_token);
      afterCheckout(order, `#/guest-orders/${order.order_key}`);
    });
  });
  render(form);
}

/**
 * A guest's order: GET /orders/guest/<order_key>/ with X-Order-Token (the token kept at checkout, or the one in
 * the e-mail's link: #/guest-orders/<key>?token=...). Pay again: POST /orders/guest/<key>/pay/; cancel an unpaid
 * order: POST /orders/guest/<key>/cancel/. A wrong or expired token is a 404, like an order that does not exist.
 */
async function guestOrderView(key, query) {
  if (query.get("token")) guestTokens.setOrder(key, query.get("token"));
  const headers = { "X-Order-Token": guestTokens.order(key) || "" };
  const returned = new URLSearchParams(location.search);
  const order = await api(`/orders/guest/${encodeURIComponent(key)}/`, { headers });
  if (returned.has("order_key")) {
    history.replaceState(null, "", location.pathname + location.hash);
    flash(returned.get("status") === "paid" ? "Thank you! Your payment went through."
      : "The payment did not go through. You can try again.", returned.get("status") === "paid" ? "success" : "error");
  }
  const open = ["pending", "processing"].includes(order.status);
  const unpaid = open && !order.paid_at;
  const nothingToPay = open && order.paid_at && Number(order.total) === 0; // cancelling it refunds 0
  const payAgain = h("button", { type: "button", id: "pay-now", onclick: async () => {
    try {
      const started = await api(`/orders/guest/${encodeURIComponent(key)}/pay/`, { method: "POST", headers, body: {
        return_url: `${location.origin}${location.pathname}#/guest-orders/{order_key}` } });
      if (started.next_step) window.location.assign(started.next_step);
    } catch (error) {
      flash(errorText(error), "error");
    }
  } }, "Pay now");
  const cancel = h("button", { type: "button", class: "secondary", id: "cancel-order", onclick: async () => {
    try {
      await api(`/orders/guest/${encodeURIComponent(key)}/cancel/`, { method: "POST", headers, body: {} });
      flash("The order is cancelled.");
      guestOrderView(key, new URLSearchParams());
    } catch (error) {
      flash(errorText(error), "error");
    }
  } }, "Cancel order");
  render(h("h1", {}, "Order ", h("span", { id: "order-key" }, order.order_key)),
    h("p", { class: "muted" }, `Placed as a guest with ${order.email}. Keep this page's link: it is your key to the `
      + "order. Create an account with that e-mail and verify it to keep your orders together."),
    h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", { id: "order-status" }, order.status),
      h("dt", {}, "Payment"), h("dd", {}, h("span", { id: "order-payment-status",
        class: `badge ${order.is_fully_paid ? "ok" : "wait"}` }, order.payment_status)),
      order.discounts.length ? [h("dt", {}, "Discounts"), h("dd", { id: "order-discounts" },
        order.discounts.map((d) => h("div", {}, `${d.source === "voucher" ? `Voucher ${d.code}` : `Sale: ${d.name}`} `
          + `−${d.amount}`)))] : null,
      h("dt", {}, "Total"), h("dd", { id: "order-total" }, order.total)),
    h("ul", {}, order.items.map((item) => h("li", {}, `${item.quantity} x ${item.product_name} `,
      h("span", { class: "muted" }, item.line_total)))),
    shipmentSection(order.shipment),
    h("p", { class: "actions" }, unpaid && order.payment_method !== "cod" ? payAgain : null,
      unpaid || nothingToPay ? cancel : null));
}

/** Your orders: GET /orders/?page= (newest first, paginated). */
async function ordersView(query) {
  if (!state.user) return needLogin();
  const page = Number(query.get("page")) || 1;
  const data = await api(`/orders/?page=${page}&page_size=${PAGE_SIZE}`);
  const rows = data.results.map((order) => h("tr", {},
    h("td", {}, h("a", { href: `#/orders/${order.id}` }, order.order_key)),
    h("td", {}, new Date(order.created_at).toLocaleString()),
    h("td", {}, order.status), h("td", {}, order.payment_status), h("td", { class: "num" }, order.total)));
  // Orders placed as a guest with this account's e-mail: POST /orders/claim/ (a verified e-mail only; the 403
  // says how to verify).
  const claim = h("button", { type: "button", class: "secondary", id: "claim-orders", onclick: async () => {
    try {
      const claimed = await api("/orders/claim/", { method: "POST" });
      flash(claimed.claimed ? `${claimed.claimed} guest order(s) added to your account.` : "No guest orders to add.",
        "success", true);
      ordersView(query);
    } catch (error) {
      flash(errorText(error), "error");
    }
  } }, "Add my guest orders");
  render(h("h1", {}, "Your orders"), h("p", {}, claim),
    rows.length
      ? h("table", { class: "lines", id: "orders" },
        h("thead", {}, h("tr", {}, h("th", {}, "Order"), h("th", {}, "Placed"), h("th", {}, "Status"),
          h("th", {}, "Payment"), h("th", { class: "num" }, "Total"))),
        h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No orders yet."),
    pager(data, page, (n) => `#/orders?page=${n}`));
}

/**
 * One order: GET /orders/<id>/, its totals as stored at checkout (`subtotal`, each of `discounts`, shipping,
 * `total`). Coming back from the payment page, the URL carries ?order_key=&status=: a hint
 * for the banner, while the order itself (payment_status) comes from the API. An unpaid order can be paid again:
 * POST /payments/create-intent/ {order_id, payment_method, return_url} answers a fresh next_step; or cancelled:
 * POST /orders/<id>/cancel/.
 */
async function orderView(id) {
  if (!state.user) return needLogin();
  const returned = new URLSearchParams(location.search);
  const [order, methods] = await Promise.all([api(`/orders/${encodeURIComponent(id)}/`), api("/payments/methods/")]);
  if (returned.has("order_key")) {
    history.replaceState(null, "", location.pathname + location.hash); // a reload must not show the banner again
    if (returned.get("order_key") === order.order_key) {
      flash(returned.get("status") === "paid" ? "Thank you! Your payment went through."
        : "The payment did not go through. You can try again.", returned.get("status") === "paid" ? "success" : "error");
    }
  }
  // "Was it paid?" is paid_at (never cleared by a refund): a paid order is neither paid again nor cancelled here,
  // except one with nothing to pay (a voucher took everything): cancelling it is its refund, of 0.
  const open = !order.paid_at && ["pending", "processing"].includes(order.status);
  const nothingToPay = ["pending", "processing"].includes(order.status) && order.paid_at && Number(order.total) === 0;
  // Paying again makes sense for a redirect method (a payment page); cash on delivery is paid at the door.
  const payable = open && methods.some((method) => method.code === order.payment_method && method.kind === "redirect");
  const payAgain = h("button", { type: "button", id: "pay-now", onclick: async () => {
    try {
      const started = await api("/payments/create-intent/", { method: "POST", body: {
        order_id: order.id, payment_method: order.payment_method,
        return_url: `${location.origin}${location.pathname}#/orders/{order_id}`,
      } });
      if (started.next_step) window.location.assign(started.next_step);
    } catch (error) {
      flash(errorText(error), "error");
    }
  } }, "Pay now");
  const cancel = h("button", { type: "button", class: "secondary", id: "cancel-order", onclick: async () => {
    try {
      await api(`/orders/${order.id}/cancel/`, { method: "POST", body: {} });
      flash("The order is cancelled.");
      orderView(id);
    } catch (error) {
      flash(errorText(error), "error");
    }
  } }, "Cancel order");
  const address = order.shipping_address;

  render(h("p", {}, h("a", { href: "#/orders" }, "← Your orders")),
    h("h1", {}, "Order ", h("span", { id: "order-key" }, order.order_key)),
    h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", { id: "order-status" }, order.status),
      h("dt", {}, "Payment"), h("dd", {}, h("span", { id: "order-payment-status",
        class: `badge ${order.is_fully_paid ? "ok" : "wait"}` }, order.payment_status)),
      h("dt", {}, "Placed"), h("dd", {}, new Date(order.created_at).toLocaleString()),
      address ? [h("dt", {}, "Ship to"), h("dd", {}, `${address.full_name}, ${address.address_line_1}, `
        + `${address.city} ${address.postal_code} ${address.country}`)] : null),
    h("table", { class: "lines" },
      h("thead", {}, h("tr", {}, h("th", {}, "Item"), h("th", { class: "num" }, "Price"), h("th", {}, "Qty"),
        h("th", { class: "num" }, "Total"))),
      h("tbody", {}, order.items.map((item) => h("tr", {},
        h("td", {}, item.product_name, item.variant_description ? h("div", { class: "muted" },
          item.variant_description) : null),
        h("td", { class: "num" }, item.unit_price), h("td", {}, item.quantity),
        h("td", { class: "num" }, item.line_total)))),
      h("tfoot", {},
        h("tr", {}, h("th", { colspan: 3 }, "Subtotal"), h("td", { class: "num" }, order.subtotal)),
        discountRows(order.discounts, 3),
        h("tr", {}, h("th", { colspan: 3 }, "Shipping"), h("td", { class: "num" }, order.shipping_fee)),
        h("tr", {}, h("th", { colspan: 3 }, "Total"), h("th", { class: "num", id: "order-total" }, order.total)))),
    shipmentSection(order.shipment),
    h("p", { class: "actions" }, payable ? payAgain : null,
      open || nothingToPay ? cancel : null));
}

const SHIPMENT_WORDS = { ORDER_PLACED: "Order placed", PACKED: "Packed", SHIPPED: "Shipped", IN_TRANSIT: "In transit",
  OUT_FOR_DELIVERY: "Out for delivery", DELIVERED: "Delivered", EXCEPTION: "Delivery problem", CANCELLED: "Cancelled" };

/** The order's shipment as GET /orders/<id>/ gives it (`shipment`: status, carrier, tracking_number,
 *  tracking_url, events [{status, message, location, occurred_at}]): nothing to show until it has moved. */
function shipmentSection(shipment) {
  if (!shipment || (shipment.status === "ORDER_PLACED" && !shipment.tracking_number)) return null;
  const number = shipment.tracking_number || "—";
  const link = /^https?:\/\//.test(shipment.tracking_url || "")
    ? h("a", { href: shipment.tracking_url, id: "tracking-link", target: "_blank", rel: "noopener" }, "Track it")
    : null;
  return h("section", { id: "shipment" }, h("h2", {}, "Shipment"),
    h("dl", { class: "facts" },
      h("dt", {}, "Status"), h("dd", { id: "shipment-status" }, SHIPMENT_WORDS[shipment.status] || shipment.status),
      h("dt", {}, "Carrier"), h("dd", { id: "shipment-carrier" }, shipment.carrier || "—"),
      h("dt", {}, "Tracking number"), h("dd", {}, h("span", { id: "tracking-number" }, number), " ", link)),
    h("ol", { id: "shipment-events", class: "events" }, [...shipment.events].reverse().map((event) => h("li", {},
      h("time", {}, new Date(event.occurred_at).toLocaleString()), " ",
      h("strong", {}, SHIPMENT_WORDS[event.status] || event.status),
      event.message && event.message !== SHIPMENT_WORDS[event.status] ? ` — ${event.message}` : null,
      event.location ? h("span", { class: "muted" }, ` (${event.location})`) : null))));
}

// --- 4. The router -----------------------------------------------------------------------------------------------

const ROUTES = [
  [/^#?\/?$/, productsView],
  [/^#\/products\/([^/]+)$/, productView],
  [/^#\/cart$/, cartView],
  [/^#\/checkout$/, checkoutView],
  [/^#\/signup$/, signupView],
  [/^#\/login$/, loginView],
  [/^#\/orders$/, ordersView],
  [/^#\/orders\/(\d+)$/, orderView],
  [/^#\/guest-orders\/([^/]+)$/, guestOrderView],
];

async function route() {
  const [path, search = ""] = (location.hash || "#/").split("?");
  const query = new URLSearchParams(search);
  const match = ROUTES.map(([pattern, view]) => [path.match(pattern), view]).find(([found]) => found);
  window.scrollTo(0, 0);
  if (!match) return render(h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the shop")));
  const [found, view] = match;
  try {
    await (found.length > 1 ? view(decodeURIComponent(found[1]), query) : view(query));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return needLogin();
    render(h("h1", {}, error instanceof ApiError && error.status === 404 ? "Not found" : "Something went wrong"),
      h("p", { class: "error" }, errorText(error)));
  }
}

window.addEventListener("hashchange", () => {
  if (!keepFlash) flash("");
  keepFlash = false;
  route();
});

document.addEventListener("DOMContentLoaded", async () => {
  await loadUser();
  await loadCartCount();
  renderNav();
  route();
});
