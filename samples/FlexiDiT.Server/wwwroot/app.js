// The page talks to the same API as any client: the key goes in the Authorization header, never in a URL sent to the
// server. A key can be handed over in the fragment (#key=...), which browsers do not send.
'use strict';

const $ = id => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
let apiKey = params.get('key') || localStorage.getItem('flexidit.key') || '';
let lastMode = null;

function credits(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString('en', { maximumFractionDigits: 4 }) + ' credits';
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { 'Content-Type': 'application/json', ...(apiKey ? { Authorization: 'Bearer ' + apiKey } : {}), ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(response.status + ': ' + message);
  }
  return body;
}

async function loadBudget() {
  if (!apiKey) { $('key-status').textContent = 'Enter an API key to see your budget.'; return; }
  try {
    const b = await api('/v1/budget');
    const account = b.user_account && b.user_account.limit !== undefined ? b.user_account : b.tenant_account;
    $('key-status').textContent = 'Key accepted.';
    $('budget-tenant').textContent = b.tenant;
    $('budget-user').textContent = b.user || '(shared tenant budget)';
    $('budget-remaining').textContent = credits(b.remaining);
    $('budget-spent').textContent = credits(account.spent) + ' / ' + credits(account.limit);
    $('budget-period').textContent = new Date(b.period_end).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
    const used = account.limit ? Math.min(100, 100 * (account.spent + account.reserved) / account.limit) : 0;
    $('budget-bar').style.width = (100 - used) + '%';
    const select = $('task-type');
    if (select.options.length === 0) {
      for (const task of b.allowed_task_types) select.add(new Option(task, task));
      const wanted = params.get('task');
      if (wanted) select.value = wanted;
      loadEstimate();
    }
  } catch (e) {
    $('key-status').textContent = e.message;
    $('key-status').className = 'error';
  }
}

async function loadEstimate() {
  const task = $('task-type').value;
  if (!apiKey || !task) return;
  try {
    const e = await api('/v1/estimate?task_type=' + encodeURIComponent(task) + '&n=' + encodeURIComponent($('count').value || 1));
    const rows = e.modes.map(m => {
      const tr = document.createElement('tr');
      if (m.mode === e.would_run) tr.className = 'chosen';
      for (const text of [m.mode, credits(m.cost), m.predicted_ms === undefined ? '?' : Math.round(m.predicted_ms) + ' ms', m.compute_saved_percent + '%', m.meets_quality_floor ? 'meets' : 'below']) {
        const td = document.createElement('td'); td.textContent = text; tr.appendChild(td);
      }
      return tr;
    });
    $('estimate').tBodies[0].replaceChildren(...rows);
  } catch (err) {
    $('estimate').tBodies[0].replaceChildren();
  }
}

async function generate(event) {
  if (event) event.preventDefault();
  $('status').textContent = 'Generating…';
  $('status').className = 'muted';
  const body = { prompt: $('prompt').value, task_type: $('task-type').value || undefined, n: Number($('count').value || 1), response_format: 'b64_json' };
  if ($('size').value) body.size = $('size').value;
  if ($('deadline').value) body.deadline = Number($('deadline').value);
  try {
    const r = await api('/v1/images/generations', { method: 'POST', body: JSON.stringify(body) });
    const f = r.flexidit;
    lastMode = f.mode;
    $('status').textContent = r.data.length + ' image(s) of "' + (r.data[0] && r.data[0].revised_prompt || body.prompt) + '" for ' + f.tenant + (f.degraded ? ' (degraded to fit the budget)' : '');
    if (f.ignored_words && f.ignored_words.length) $('status').textContent += '; ignored (not something the model draws): ' + f.ignored_words.join(', ');
    $('result-facts').hidden = false;
    $('result-mode').textContent = f.mode + ' (' + f.task_type + ')';
    $('result-cost').textContent = credits(f.cost) + ', ' + credits(f.remaining_credits) + ' left';
    $('result-saved').textContent = f.compute_saved_percent + '% less compute than full, ' + Math.round(f.latency_ms) + ' ms';
    $('result-reason').textContent = f.reason;
    $('images').replaceChildren(...r.data.map(d => {
      const img = document.createElement('img');
      img.src = d.url || ('data:image/png;base64,' + d.b64_json);
      img.alt = d.revised_prompt || body.prompt;
      return img;
    }));
  } catch (e) {
    $('status').textContent = e.message;
    $('status').className = 'error';
  }
  await Promise.all([loadBudget(), loadEstimate(), loadMetrics()]);
}

async function loadMetrics() {
  try {
    const health = await fetch('/health').then(r => r.json());
    $('health').textContent = health.status + (health.model ? ' · ' + health.model : '');
    const m = await fetch('/metrics').then(r => r.json());
    $('metric-requests').textContent = m.generation_requests_total;
    $('metric-images').textContent = m.images_generated_total;
    $('metric-credits').textContent = credits(m.credits_charged_total);
    const refusals = Object.entries(m.refusals_total).map(([k, v]) => k + ': ' + v).join(', ');
    $('metric-refusals').textContent = refusals || 'none';
  } catch (e) {
    $('health').textContent = 'unreachable';
  }
}

$('api-key').value = apiKey;
$('save-key').addEventListener('click', () => {
  apiKey = $('api-key').value.trim();
  localStorage.setItem('flexidit.key', apiKey);
  $('task-type').replaceChildren();
  loadBudget();
});
$('generate-form').addEventListener('submit', generate);
$('task-type').addEventListener('change', loadEstimate);
$('count').addEventListener('change', loadEstimate);
if (params.get('prompt')) $('prompt').value = params.get('prompt');

(async () => {
  await Promise.all([loadBudget(), loadMetrics()]);
  if (params.get('autorun') === '1' && apiKey) await generate();
  document.body.dataset.ready = 'true';
  setInterval(() => { loadBudget(); loadMetrics(); }, 5000);
})();
