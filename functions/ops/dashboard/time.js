// Times as the user asked for them: UTC or the browser's zone, remembered in localStorage. Every
// time shown is a <time> with the exact instant in its title (hover) and datetime attribute.
import { h } from './dom.js';

const KEY = 'sluice.timeZone';
const listeners = new Set();

export function timeZoneMode() {
  try {
    return localStorage.getItem(KEY) === 'local' ? 'local' : 'utc';
  } catch {
    return 'utc';
  }
}

export function setTimeZoneMode(mode) {
  try {
    localStorage.setItem(KEY, mode);
  } catch {
    // Storage refused (private mode): the toggle still works for this page.
  }
  for (const listener of listeners) listener(mode);
}

export function onTimeZoneChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function localZoneName() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local';
}

export function zoneLabel() {
  return timeZoneMode() === 'utc' ? 'UTC' : localZoneName();
}

// 2026-12-01 16:31:50 UTC, or in the local zone with its name.
export function exactTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const utc = timeZoneMode() === 'utc';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: utc ? 'UTC' : undefined,
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${zoneLabel()}`;
}

export function relativeTime(iso, now = Date.now()) {
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  const future = ms < 0;
  const s = Math.abs(ms) / 1000;
  const text = s < 45 ? `${Math.round(s)} s` : s < 2700 ? `${Math.round(s / 60)} min` : s < 79200 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

// A relative time with the exact one on hover.
export function timeElement(iso, { relative = true } = {}) {
  if (!iso) return '';
  const exact = exactTime(iso);
  return h('time', { datetime: iso, title: exact, className: 'js-time', dataset: { relative: relative ? '1' : '0' } }, relative ? relativeTime(iso) : exact);
}

// Re-renders every time on the page after the toggle, and keeps relative times fresh.
export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll('time.js-time')) {
    const iso = element.getAttribute('datetime');
    element.title = exactTime(iso);
    element.textContent = element.dataset.relative === '1' ? relativeTime(iso) : exactTime(iso);
  }
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
