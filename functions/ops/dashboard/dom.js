// A tiny element builder: h('a', { href }, 'text', child). Text is always a text node, never HTML,
// so nothing a run record holds (file names, error messages) can inject markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'className') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// Announces a change to screen readers (the page's one aria-live region).
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A new text node after clearing makes assistive technology read it even when it repeats.
  requestAnimationFrame(() => { region.textContent = message; });
}

export function statusBadge(status) {
  return h('span', { className: `badge status-${status}` }, status);
}

export function formatNumber(value) {
  return value === undefined || value === null ? '' : Number(value).toLocaleString('en-US');
}
