// baomi's messenger client. Plain DOM, no framework, no external code. Text from the server is
// always set with textContent (never parsed as HTML). Real time over /api/v1/stream: the
// client keeps the last event `seq` and resumes after it on reconnect, so it misses nothing
// and de-duplicates by message id.
'use strict';

(() => {
  const root = document.getElementById('chat');
  if (!root) return;
  const me = {
    id: Number(root.dataset.user),
    name: root.dataset.name,
    unit: root.dataset.unit,
    external: root.dataset.external === 'true',
  };
  const csrf = root.dataset.csrf;
  const zh = (document.documentElement.lang || 'zh').startsWith('zh');
  let cursor = Number(root.dataset.seq) || 0;

  const TEXT = {
    newGroup: ['新群組', 'New group'],
    newDirect: ['新對話', 'New chat'],
    send: ['傳送', 'Send'],
    notice: ['公告（需讀取回條）', 'Notice (read receipts)'],
    placeholder: ['輸入訊息（Enter 傳送，Shift+Enter 換行）', 'Message (Enter sends, Shift+Enter new line)'],
    pick: ['請從左側選擇對話', 'Pick a conversation'],
    members: ['成員', 'Members'],
    guests: ['外部', 'guests'],
    external: ['外部', 'External'],
    admin: ['管理者', 'Admin'],
    reply: ['回覆', 'Reply'],
    forward: ['轉傳', 'Forward'],
    edit: ['編輯', 'Edit'],
    recall: ['收回', 'Withdraw'],
    receipts: ['讀取狀況', 'Receipts'],
    recalled: ['訊息已收回', 'Message withdrawn'],
    purged: ['已逾保存期限，內容已刪除', 'Past its retention period; deleted'],
    edited: ['已編輯', 'edited'],
    forwardedFrom: ['轉傳自', 'Forwarded from'],
    replyTo: ['回覆', 'Reply to'],
    cancel: ['取消', 'Cancel'],
    close: ['關閉', 'Close'],
    confirmSend: ['確認傳送', 'Send anyway'],
    sendMasked: ['改傳遮蔽版本', 'Send the masked version'],
    blocked: ['無法傳送', 'Not sent'],
    confirm: ['傳送前請確認', 'Confirm before sending'],
    mask: ['須遮蔽個人資料', 'Personal data must be masked'],
    found: ['偵測到的內容', 'What was found'],
    maskedPreview: ['遮蔽後版本', 'Masked version'],
    audience: ['將看到此訊息：共 {n} 人', 'Will see it: {n} people'],
    audienceGuests: ['，其中外部人員 {g} 人', ', {g} of them guests'],
    forwardTo: ['轉傳到哪個對話？', 'Forward to which conversation?'],
    forwardConfirm: ['確認轉傳到「{t}」', 'Forward to "{t}"'],
    online: ['已連線', 'Online'],
    offline: ['連線中斷，重新連線中…', 'Offline, reconnecting…'],
    title: ['群組名稱', 'Group title'],
    sensitivity: ['機敏等級', 'Sensitivity'],
    normal: ['一般', 'Normal'],
    internal: ['限本機關', 'Agency only'],
    no_forward: ['不得轉傳', 'No forwarding'],
    search: ['搜尋姓名、單位或職稱', 'Search name, unit or title'],
    create: ['建立', 'Create'],
    addMember: ['加入成員', 'Add member'],
    requests: ['加入申請', 'Requests to join'],
    approve: ['同意', 'Approve'],
    refuse: ['拒絕', 'Refuse'],
    leave: ['退出群組', 'Leave group'],
    remove: ['移出', 'Remove'],
    requested: ['已送出申請，待管理者同意。', 'Requested; an admin will decide.'],
    added: ['已加入。', 'Added.'],
    readBy: ['已讀', 'Read'],
    unread: ['未讀', 'Unread'],
    error: ['發生錯誤：', 'Error: '],
    joined: ['{s} 加入群組', '{s} joined'],
    left: ['{s} 退出群組', '{s} left'],
    removed: ['{s} 被移出群組', '{s} was removed'],
    withdrawWindow: ['確定收回這則訊息？', 'Withdraw this message?'],
    save: ['儲存', 'Save'],
    attach: ['附件', 'Attach'],
    mention: ['提及', 'Mention'],
    searchMessages: ['搜尋訊息', 'Search messages'],
    noHits: ['找不到符合的訊息。', 'No messages found.'],
    partial: ['（只搜尋了最近 {n} 則）', '(only the latest {n} were searched)'],
    noDownload: ['不得轉傳之對話，外部人員不得下載', 'No downloads for guests in a no-forward conversation'],
  };
  const t = (k, vars) => {
    let s = (TEXT[k] || [k, k])[zh ? 0 : 1];
    for (const [n, v] of Object.entries(vars || {})) s = s.replace('{' + n + '}', v);
    return s;
  };

  // --- DOM helpers -------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  const time = (s) => {
    const d = new Date(s * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));

  async function api(method, path, body) {
    const r = await fetch('/api/v1' + path, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!r.ok) {
      const e = new Error((data && data.message) || r.statusText);
      e.status = r.status;
      throw e;
    }
    return data;
  }

  // --- layout ------------------------------------------------------------------------------
  const list = el('ul', { id: 'conv-list', 'aria-label': zh ? '對話' : 'Conversations' });
  const searchInput = el('input', { type: 'search', id: 'search', placeholder: t('searchMessages'), 'aria-label': t('searchMessages') });
  const searchForm = el('form', { class: 'tools', role: 'search', onsubmit: (e) => { e.preventDefault(); searchMessages(searchInput.value); } }, searchInput);
  const convs = el('aside', { class: 'convs' },
    el('div', { class: 'tools' },
      el('button', { type: 'button', id: 'new-group', hidden: me.external, onclick: newGroup }, t('newGroup')),
      el('button', { type: 'button', id: 'new-direct', class: 'secondary', onclick: newDirect }, t('newDirect'))),
    searchForm,
    list);
  const head = el('header', {});
  const messages = el('ol', { id: 'messages', 'aria-live': 'polite' });
  const text = el('textarea', { id: 'text', 'aria-label': t('placeholder'), placeholder: t('placeholder'), maxlength: 8000 });
  const noticeBox = el('input', { type: 'checkbox', id: 'notice' });
  const replyLine = el('div', { class: 'reply', id: 'reply-line', hidden: true });
  const audienceLine = el('div', { class: 'audience', id: 'audience' });
  const noticeLabel = el('label', { class: 'check', hidden: true }, noticeBox, t('notice'));
  const fileInput = el('input', { type: 'file', id: 'file', hidden: true, onchange: () => { const f = fileInput.files[0]; fileInput.value = ''; if (f) upload(f, uuid(), false); } });
  const composer = el('form', { id: 'composer', hidden: true },
    replyLine, audienceLine, text,
    el('div', { class: 'row' }, noticeLabel, fileInput,
      el('button', { type: 'button', class: 'secondary', id: 'attach', onclick: () => fileInput.click() }, t('attach')),
      el('button', { type: 'submit', id: 'send' }, t('send'))));
  const pane = el('section', { class: 'pane' }, head, messages, composer);
  const side = el('aside', { class: 'side', id: 'side', hidden: true });
  const conn = el('div', { class: 'conn offline', id: 'conn', role: 'status' }, t('offline'));
  const mark = el('div', { class: 'watermark', 'aria-hidden': 'true' });
  const dialog = el('dialog', { id: 'dialog' });
  root.replaceChildren(convs, pane, side, conn, mark, dialog);

  // The watermark: the viewer's name, unit and the time, across everything shown.
  function paintWatermark() {
    const line = `${me.name} ${me.unit} ${time(Date.now() / 1000)}`;
    mark.replaceChildren(...Array.from({ length: 60 }, () => el('span', {}, line)));
  }
  paintWatermark();
  setInterval(paintWatermark, 60000);

  // --- state -------------------------------------------------------------------------------
  const state = {
    convs: [],
    current: null, // conversation object
    messages: new Map(), // id -> message, of the current conversation
    draft: null, // {client_id, text, reply_to, notice} being sent
    replyTo: null,
  };

  async function loadConversations() {
    state.convs = await api('GET', '/conversations');
    renderList();
    if (state.current) {
      const c = state.convs.find((x) => x.id === state.current.id);
      if (!c) closeConversation();
      else { state.current = c; renderHead(); }
    }
  }

  function renderList() {
    list.replaceChildren(...state.convs.map((c) => el('li', {},
      el('button', {
        type: 'button', 'data-conv': c.id, 'aria-current': state.current && state.current.id === c.id ? 'true' : 'false',
        onclick: () => openConversation(c.id),
      },
      el('span', { class: 'title' }, c.title || '—'),
      c.unread > 0 ? el('span', { class: 'badge', 'aria-label': `${c.unread} ${t('unread')}` }, c.unread) : el('span', {}),
      el('span', { class: 'meta' },
        `${c.members} ${t('members')}`,
        c.guests > 0 ? el('span', { class: 'tag external' }, `${t('external')} ${c.guests}`) : null,
        c.sensitivity !== 'normal' ? el('span', { class: 'tag sensitivity' }, t(c.sensitivity)) : null)))));
  }

  function renderHead() {
    const c = state.current;
    if (!c) {
      head.replaceChildren(el('p', { class: 'muted' }, t('pick')));
      composer.hidden = true;
      return;
    }
    head.replaceChildren(
      el('button', { type: 'button', class: 'secondary back', onclick: closeConversation }, '←'),
      el('h2', { id: 'conv-title' }, c.title || '—',
        c.sensitivity !== 'normal' ? el('span', { class: 'tag sensitivity' }, t(c.sensitivity)) : null),
      el('button', { type: 'button', class: 'secondary', id: 'show-members', onclick: toggleSide },
        `${t('members')} ${c.members}`, c.guests > 0 ? ` · ${t('external')} ${c.guests}` : ''));
    audienceLine.textContent = t('audience', { n: c.members }) + (c.guests > 0 ? t('audienceGuests', { g: c.guests }) : '');
    noticeLabel.hidden = c.role !== 'admin' || c.kind !== 'group';
    composer.hidden = false;
  }

  async function openConversation(id) {
    const c = state.convs.find((x) => x.id === id);
    if (!c) return;
    state.current = c;
    state.messages = new Map();
    state.replyTo = null;
    replyLine.hidden = true;
    root.classList.add('open');
    renderHead();
    renderList();
    messages.replaceChildren();
    api('GET', `/conversations/${id}/members`).then((m) => { state.members = m; }, () => {});
    const page = await api('GET', `/conversations/${id}/messages?limit=200`);
    for (const m of page) upsert(m);
    if (!side.hidden) renderSide();
    markRead();
    text.focus();
  }

  function closeConversation() {
    state.current = null;
    root.classList.remove('open');
    messages.replaceChildren();
    side.hidden = true;
    root.classList.remove('with-side');
    renderHead();
    renderList();
  }

  // --- messages ----------------------------------------------------------------------------
  function upsert(m) {
    if (!state.current || m.conversation !== state.current.id) return;
    state.messages.set(m.id, m);
    const node = renderMessage(m);
    const old = messages.querySelector(`[data-id="${m.id}"]`);
    if (old) { old.replaceWith(node); return; }
    // Keep id order even when a replayed event arrives late.
    const after = [...messages.children].find((x) => Number(x.dataset.id) > m.id);
    if (after) messages.insertBefore(node, after);
    else { messages.append(node); messages.scrollTop = messages.scrollHeight; }
  }

  function renderMessage(m) {
    const mine = m.sender.id === me.id;
    const cls = ['message', mine ? 'mine' : '', m.notice ? 'notice' : '', m.recalled_at ? 'recalled' : '',
      (m.mentions || []).includes(me.id) ? 'mentioned' : ''].join(' ');
    const replied = m.reply_to ? state.messages.get(m.reply_to) : null;
    return el('li', { class: cls, 'data-id': m.id },
      el('div', { class: 'who' }, m.sender.name,
        m.sender.external ? el('span', { class: 'tag external' }, t('external')) : null,
        m.sender.unit ? el('span', { class: 'when' }, m.sender.unit) : null,
        el('span', { class: 'when' }, time(m.at))),
      m.reply_to ? el('div', { class: 'reply' }, `${t('replyTo')}：`, replied && replied.text ? replied.text.slice(0, 40) : `#${m.reply_to}`) : null,
      m.forwarded ? el('div', { class: 'prov' }, `${t('forwardedFrom')}「${m.forwarded.conversation_title}」· ${m.forwarded.sender} · ${time(m.forwarded.at)}`) : null,
      el('div', { class: 'body' }, m.recalled_at ? t('recalled') : m.purged_at ? t('purged') : m.text),
      m.attachment ? renderAttachment(m.attachment) : null,
      m.edited_at && !m.recalled_at ? el('div', { class: 'state' }, t('edited')) : null,
      m.recalled_at ? null : el('div', { class: 'actions' },
        el('button', { type: 'button', onclick: () => startReply(m) }, t('reply')),
        state.current && state.current.sensitivity === 'no_forward' ? null
          : el('button', { type: 'button', class: 'forward', onclick: () => forward(m) }, t('forward')),
        mine ? el('button', { type: 'button', class: 'edit', onclick: () => edit(m) }, t('edit')) : null,
        mine ? el('button', { type: 'button', class: 'recall', onclick: () => recall(m) }, t('recall')) : null,
        m.notice && (mine || (state.current && state.current.role === 'admin'))
          ? el('button', { type: 'button', onclick: () => receipts(m) }, t('receipts')) : null));
  }

  function renderAttachment(a) {
    const size = a.size > 1048576 ? `${(a.size / 1048576).toFixed(1)} MB` : `${Math.ceil(a.size / 1024)} KB`;
    if (me.external && state.current && state.current.sensitivity === 'no_forward') {
      return el('div', { class: 'attachment' }, `📎 ${a.name} (${size}) — ${t('noDownload')}`);
    }
    const url = `/api/v1/attachments/${a.id}`;
    return el('div', { class: 'attachment' },
      a.mime.startsWith('image/') ? el('img', { src: `${url}?inline=true`, alt: a.name, loading: 'lazy' }) : null,
      el('a', { href: url, download: a.name }, `📎 ${a.name} (${size})`));
  }

  async function upload(file, clientId, confirm) {
    if (!state.current) return;
    const conv = state.current.id;
    try {
      const q = new URLSearchParams({ name: file.name, client_id: clientId, confirm: confirm ? 'true' : 'false' });
      const r = await fetch(`/api/v1/conversations/${conv}/attachments?${q}`, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': csrf }, body: file,
      });
      const o = await r.json();
      if (!r.ok) throw new Error(o.message || r.statusText);
      if (o.status === 'sent') return;
      showOutcome(o, { confirm: () => upload(file, clientId, true) });
    } catch (e) { alertError(e); }
  }

  function startReply(m) {
    state.replyTo = m.id;
    replyLine.hidden = false;
    replyLine.replaceChildren(`${t('replyTo')}：${(m.text || '').slice(0, 60)} `,
      el('button', { type: 'button', class: 'link', onclick: () => { state.replyTo = null; replyLine.hidden = true; } }, t('cancel')));
    text.focus();
  }

  let readTimer = null;
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(async () => {
      if (!state.current || document.hidden) return;
      const last = Math.max(0, ...state.messages.keys());
      if (last > 0) {
        try { await api('POST', `/conversations/${state.current.id}/read`, { upto: last }); } catch (_) { /* next time */ }
        const c = state.convs.find((x) => x.id === state.current.id);
        if (c && c.unread) { c.unread = 0; renderList(); }
      }
    }, 400);
  }
  document.addEventListener('visibilitychange', markRead);

  // --- the gate's answers -------------------------------------------------------------------
  function showOutcome(o, actions) {
    const title = { blocked: t('blocked'), confirm: t('confirm'), mask: t('mask') }[o.status] || '';
    const aud = t('audience', { n: o.audience.members }) + (o.audience.guests > 0 ? t('audienceGuests', { g: o.audience.guests }) : '');
    const buttons = [el('button', { type: 'button', class: 'secondary', id: 'gate-cancel', onclick: () => dialog.close() },
      o.status === 'blocked' ? t('close') : t('cancel'))];
    if (o.status === 'confirm' && actions.confirm) {
      buttons.push(el('button', { type: 'button', id: 'gate-confirm', onclick: () => { dialog.close(); actions.confirm(); } },
        actions.confirmLabel || t('confirmSend')));
    }
    if (o.masked_text && actions.masked) {
      buttons.push(el('button', { type: 'button', id: 'gate-masked', onclick: () => { dialog.close(); actions.masked(); } }, t('sendMasked')));
    }
    dialog.replaceChildren(
      el('h2', { id: 'gate-title' }, title),
      el('div', { id: 'gate-status', 'data-status': o.status, role: 'alert' },
        ...o.reasons.map((r) => el('p', { class: o.status === 'blocked' ? 'msg bad' : 'msg' }, zh ? r.zh : r.en))),
      o.target_title ? el('p', { id: 'gate-target' }, `「${o.target_title}」`) : null,
      el('p', { id: 'gate-audience' }, aud),
      o.found.length ? el('div', {}, el('strong', {}, t('found')),
        el('ul', { class: 'found' }, ...o.found.map((f) => el('li', {}, `${f.label}：${f.masked}`)))) : null,
      o.masked_text ? el('div', {}, el('strong', {}, t('maskedPreview')), el('pre', { id: 'gate-masked-text' }, o.masked_text)) : null,
      el('div', { class: 'buttons' }, ...buttons));
    dialog.showModal();
  }

  async function sendDraft(opts) {
    const d = state.draft;
    if (!d || !state.current) return;
    const conv = state.current.id;
    try {
      const o = await api('POST', `/conversations/${conv}/messages`, { ...d, confirm: !!opts.confirm, masked: !!opts.masked });
      if (o.status === 'sent') {
        state.draft = null;
        text.value = '';
        noticeBox.checked = false;
        state.replyTo = null;
        replyLine.hidden = true;
        return;
      }
      showOutcome(o, {
        confirm: () => sendDraft({ confirm: true, masked: opts.masked }),
        masked: () => sendDraft({ masked: true, confirm: true }),
      });
    } catch (e) {
      alertError(e);
    }
  }

  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = text.value;
    if (!value.trim() || !state.current) return;
    // The same draft keeps its client id until it is sent: a retry is never a second message.
    if (!state.draft || state.draft.text !== value || state.draft.reply_to !== state.replyTo) {
      // @name of a member mentions them.
      const mentions = (state.members || [])
        .filter((p) => p.id !== me.id && value.includes('@' + p.name))
        .map((p) => p.id);
      state.draft = { client_id: uuid(), text: value, reply_to: state.replyTo, notice: noticeBox.checked, mentions };
    }
    sendDraft({});
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });

  function alertError(e) {
    dialog.replaceChildren(el('p', { class: 'msg bad', role: 'alert' }, t('error') + e.message),
      el('div', { class: 'buttons' }, el('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
    if (!dialog.open) dialog.showModal();
  }

  // --- forward, edit, withdraw, receipts -------------------------------------------------------
  function forward(m) {
    const targets = state.convs.filter((c) => c.id !== m.conversation);
    dialog.replaceChildren(el('h2', {}, t('forwardTo')),
      el('div', { class: 'results' }, ...targets.map((c) => el('button', {
        type: 'button', 'data-target': c.id, onclick: () => forwardTo(m, c, null),
      }, c.title, ` (${c.members} ${t('members')}${c.guests ? `，${t('external')} ${c.guests}` : ''})`))),
      el('div', { class: 'buttons' }, el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel'))));
    dialog.showModal();
  }

  async function forwardTo(m, c, clientId, masked) {
    const id = clientId || uuid();
    try {
      const body = { to: c.id, client_id: id, masked: !!masked };
      const confirmed = clientId !== null && clientId !== undefined;
      if (confirmed) body.confirm_target = c.id;
      const o = await api('POST', `/messages/${m.id}/forward`, body);
      if (dialog.open) dialog.close();
      if (o.status === 'sent') return;
      showOutcome(o, {
        confirm: () => forwardTo(m, c, id, masked),
        confirmLabel: t('forwardConfirm', { t: o.target_title }),
        masked: () => forwardTo(m, c, id, true),
      });
    } catch (e) {
      alertError(e);
    }
  }

  function edit(m) {
    const area = el('textarea', { id: 'edit-text', maxlength: 8000 });
    area.value = m.text || '';
    const save = async (opts) => {
      try {
        const o = await api('PATCH', `/messages/${m.id}`, { text: area.value, confirm: !!opts.confirm, masked: !!opts.masked });
        if (o.status === 'sent') { if (dialog.open) dialog.close(); return; }
        showOutcome(o, { confirm: () => save({ confirm: true }), masked: () => save({ masked: true, confirm: true }) });
      } catch (e) { alertError(e); }
    };
    dialog.replaceChildren(el('h2', {}, t('edit')), area,
      el('div', { class: 'buttons' },
        el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel')),
        el('button', { type: 'button', id: 'edit-save', onclick: () => save({}) }, t('save'))));
    dialog.showModal();
  }

  async function recall(m) {
    if (!window.confirm(t('withdrawWindow'))) return;
    try { await api('DELETE', `/messages/${m.id}`); } catch (e) { alertError(e); }
  }

  async function receipts(m) {
    try {
      const r = await api('GET', `/messages/${m.id}/receipts`);
      dialog.replaceChildren(el('h2', {}, t('receipts')),
        el('ul', { id: 'receipts' }, ...r.map((x) => el('li', {}, x.user.name, ' — ', x.read_at ? `${t('readBy')} ${time(x.read_at)}` : t('unread')))),
        el('div', { class: 'buttons' }, el('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
      dialog.showModal();
    } catch (e) { alertError(e); }
  }

  async function searchMessages(q) {
    if (!q.trim()) return;
    try {
      const r = await api('GET', `/search?q=${encodeURIComponent(q)}`);
      const titles = new Map(state.convs.map((c) => [c.id, c.title]));
      dialog.replaceChildren(el('h2', {}, t('searchMessages')),
        r.hits.length ? el('div', { class: 'results', id: 'search-results' }, ...r.hits.map((m) => el('button', {
          type: 'button', 'data-message': m.id,
          onclick: () => { dialog.close(); openConversation(m.conversation); },
        }, `${titles.get(m.conversation) || ''} · ${m.sender.name} · ${time(m.at)}：`, (m.text || (m.attachment && m.attachment.name) || '').slice(0, 80))))
          : el('p', {}, t('noHits')),
        r.complete ? null : el('p', { class: 'muted' }, t('partial', { n: r.scanned })),
        el('div', { class: 'buttons' }, el('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
      dialog.showModal();
    } catch (e) { alertError(e); }
  }

  // --- people ------------------------------------------------------------------------------
  function personLine(p, ...extra) {
    return el('li', { 'data-user': p.id }, p.name,
      p.external ? el('span', { class: 'tag external' }, t('external')) : null,
      p.role === 'admin' ? el('span', { class: 'tag admin' }, t('admin')) : null,
      el('span', { class: 'muted' }, [p.unit, p.title].filter(Boolean).join(' ')), ...extra);
  }

  function searchBox(onPick) {
    const input = el('input', { type: 'text', id: 'people-search', placeholder: t('search'), 'aria-label': t('search') });
    const results = el('div', { class: 'results', id: 'people-results' });
    let timer = null;
    const run = async () => {
      const found = await api('GET', `/directory?q=${encodeURIComponent(input.value)}`);
      results.replaceChildren(...found.map((p) => el('button', { type: 'button', 'data-user': p.id, onclick: () => onPick(p) },
        p.name, p.external ? ` [${t('external')}]` : '', ` ${p.unit || ''} ${p.title || ''}`)));
    };
    input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 200); });
    run();
    return [input, results];
  }

  function newDirect() {
    const [input, results] = searchBox(async (p) => {
      try {
        const r = await api('POST', '/conversations/direct', { with: p.id });
        dialog.close();
        await loadConversations();
        openConversation(r.id);
      } catch (e) { alertError(e); }
    });
    dialog.replaceChildren(el('h2', {}, t('newDirect')), input, results,
      el('div', { class: 'buttons' }, el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel'))));
    dialog.showModal();
    input.focus();
  }

  function newGroup() {
    const chosen = new Map();
    const title = el('input', { type: 'text', id: 'group-title', maxlength: 80, required: true });
    const sensitivity = el('select', { id: 'group-sensitivity' },
      ...['normal', 'internal', 'no_forward'].map((s) => el('option', { value: s }, t(s))));
    const picked = el('ul', { id: 'group-members' });
    const [input, results] = searchBox((p) => {
      chosen.set(p.id, p);
      picked.replaceChildren(...[...chosen.values()].map((x) => personLine(x)));
    });
    const create = async () => {
      try {
        const r = await api('POST', '/conversations', { title: title.value, sensitivity: sensitivity.value, members: [...chosen.keys()] });
        dialog.close();
        await loadConversations();
        openConversation(r.id);
      } catch (e) { alertError(e); }
    };
    dialog.replaceChildren(el('h2', {}, t('newGroup')),
      el('label', {}, t('title'), title), el('label', {}, t('sensitivity'), sensitivity),
      el('strong', {}, t('members')), picked, input, results,
      el('div', { class: 'buttons' },
        el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel')),
        el('button', { type: 'button', id: 'group-create', onclick: create }, t('create'))));
    dialog.showModal();
    title.focus();
  }

  function toggleSide() {
    side.hidden = !side.hidden;
    root.classList.toggle('with-side', !side.hidden);
    if (!side.hidden) renderSide();
  }

  async function renderSide() {
    const c = state.current;
    if (!c) return;
    const members = await api('GET', `/conversations/${c.id}/members`);
    const admin = c.role === 'admin';
    state.members = members;
    const parts = [el('h2', {}, t('members')), el('ul', { id: 'member-list' }, ...members.map((p) => personLine(p,
      p.id !== me.id ? el('button', { type: 'button', class: 'link', title: t('mention'), onclick: () => { text.value += `@${p.name} `; text.focus(); } }, '@') : null,
      admin && p.id !== me.id && c.kind === 'group'
        ? el('button', { type: 'button', class: 'link', onclick: () => removeMember(p.id) }, t('remove')) : null)))];
    if (admin && c.kind === 'group') {
      const open = await api('GET', `/conversations/${c.id}/requests`);
      if (open.length) {
        parts.push(el('h2', {}, t('requests')), el('ul', { id: 'request-list' }, ...open.map((q) => personLine(q.user,
          el('span', { class: 'muted' }, `← ${q.requested_by}`),
          el('button', { type: 'button', class: 'approve', onclick: () => decide(q.id, true) }, t('approve')),
          el('button', { type: 'button', class: 'secondary', onclick: () => decide(q.id, false) }, t('refuse'))))));
      }
    }
    if (c.kind === 'group') {
      parts.push(el('button', { type: 'button', id: 'add-member', onclick: addMember }, t('addMember')), ' ',
        el('button', { type: 'button', class: 'danger', onclick: () => removeMember(me.id) }, t('leave')));
    }
    side.replaceChildren(...parts);
  }

  function addMember() {
    const c = state.current;
    const [input, results] = searchBox(async (p) => {
      try {
        const r = await api('POST', `/conversations/${c.id}/members`, { user: p.id });
        dialog.replaceChildren(el('p', { class: 'msg ok', role: 'status' }, r.status === 'added' ? t('added') : t('requested')),
          el('div', { class: 'buttons' }, el('button', { type: 'button', onclick: () => dialog.close() }, t('close'))));
        renderSide();
      } catch (e) { alertError(e); }
    });
    dialog.replaceChildren(el('h2', {}, t('addMember')), input, results,
      el('div', { class: 'buttons' }, el('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, t('cancel'))));
    dialog.showModal();
    input.focus();
  }

  async function decide(request, approve) {
    try {
      await api('POST', `/conversations/${state.current.id}/requests/${request}`, { approve });
      renderSide();
    } catch (e) { alertError(e); }
  }

  async function removeMember(user) {
    try {
      await api('DELETE', `/conversations/${state.current.id}/members/${user}`);
      if (user === me.id) closeConversation();
      await loadConversations();
      if (!side.hidden) renderSide();
    } catch (e) { alertError(e); }
  }

  // --- the stream ----------------------------------------------------------------------------
  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => loadConversations().catch(() => {}), 150);
  }

  function onEvent(ev) {
    if (ev.seq <= cursor) return;
    cursor = ev.seq;
    const open = state.current && state.current.id === ev.conversation;
    switch (ev.kind) {
      case 'message':
      case 'edit':
      case 'recall':
        if (open) { upsert(ev.message); markRead(); }
        if (ev.kind === 'message') {
          const c = state.convs.find((x) => x.id === ev.conversation);
          if (!c) { refreshSoon(); break; }
          if (!open && ev.message.sender.id !== me.id) c.unread += 1;
          c.last_at = ev.at;
          state.convs.sort((a, b) => b.last_at - a.last_at || b.id - a.id);
          renderList();
        }
        break;
      case 'receipt':
        break;
      default:
        refreshSoon();
        if (open && !side.hidden) renderSide();
    }
  }

  let backoff = 500;
  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/stream?since=${cursor}`);
    ws.onopen = () => {
      backoff = 500;
      conn.className = 'conn';
      conn.textContent = t('online');
      root.dataset.connected = 'true';
    };
    ws.onmessage = (e) => {
      let f = null;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      if (f && typeof f.seq === 'number') onEvent(f);
    };
    ws.onclose = () => {
      conn.className = 'conn offline';
      conn.textContent = t('offline');
      root.dataset.connected = 'false';
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  renderHead();
  loadConversations().then(() => {
    connect();
    const wanted = Number(new URLSearchParams(location.search).get('c'));
    if (wanted) openConversation(wanted);
  }, alertError);

  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
})();
