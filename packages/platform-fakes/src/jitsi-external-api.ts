// Stub of Jitsi's `external_api.js` (IFrame API), served by the Jitsi fake.
// @see shared/reference/platform-contracts.md §4.2 for options, events and commands.
//
// Browser globals it maintains, for e2e assertions:
// - window.__jitsiFakeCommands: [{ api, name, args, at }] every executeCommand (and dispose)
// - window.__jitsiFakeEvents:   [{ api, name, payload, at }] every event delivered
// - window.__jitsiFakeApis:     every JitsiMeetExternalAPI instance
// Tests emit events with `api.__emit(name, payload)`.
// Automatic events (disable with option `fakeAutoEvents: false`):
// - the meeting page inside the iframe posts {source:'jitsi-fake', type:'joined'|'rejected'}; the
//   stub turns that into `videoConferenceJoined` or `errorOccurred`;
// - `executeCommand('hangup')` emits `videoConferenceLeft` then `readyToClose` ([U] order).

const SCRIPT = String.raw`/* Jitsi fake: JitsiMeetExternalAPI stub (BookingX platform-fakes) */
(function () {
  'use strict';
  var w = window;
  var commands = (w.__jitsiFakeCommands = w.__jitsiFakeCommands || []);
  var events = (w.__jitsiFakeEvents = w.__jitsiFakeEvents || []);
  var apis = (w.__jitsiFakeApis = w.__jitsiFakeApis || []);
  var PROTOCOL = (w.location && w.location.protocol === 'https:') ? 'https:' : 'http:';

  function encodeRoom(room) {
    return String(room).split('/').map(encodeURIComponent).join('/');
  }

  function hashParams(options) {
    var parts = [];
    function add(prefix, obj) {
      if (!obj) return;
      Object.keys(obj).forEach(function (k) {
        parts.push(encodeURIComponent(prefix + k) + '=' + encodeURIComponent(JSON.stringify(obj[k])));
      });
    }
    add('config.', options.configOverwrite);
    add('interfaceConfig.', options.interfaceConfigOverwrite);
    if (options.userInfo) add('userInfo.', options.userInfo);
    if (options.lang) parts.push('lang=' + encodeURIComponent(JSON.stringify(options.lang)));
    return parts.length ? '#' + parts.join('&') : '';
  }

  function size(v, fallback) {
    if (v === undefined || v === null) return fallback;
    return typeof v === 'number' ? v + 'px' : String(v);
  }

  function JitsiMeetExternalAPI(domain, options) {
    if (!(this instanceof JitsiMeetExternalAPI)) throw new TypeError('use new JitsiMeetExternalAPI(domain, options)');
    options = options || {};
    var self = this;
    this.domain = domain;
    this.options = options;
    this.index = apis.length;
    this.commands = [];
    this.events = [];
    this._listeners = {};
    this._autoEvents = options.fakeAutoEvents !== false;
    this._roomName = options.roomName || '';

    var src = PROTOCOL + '//' + domain + '/' + encodeRoom(this._roomName) +
      (options.jwt ? '?jwt=' + encodeURIComponent(options.jwt) : '') + hashParams(options);
    this.url = src;

    var doc = w.document;
    var frame = doc.createElement('iframe');
    frame.id = frame.name = 'jitsiConferenceFrame' + this.index;
    frame.setAttribute('allow', 'camera; microphone; display-capture; autoplay; clipboard-write');
    frame.setAttribute('src', src);
    frame.style.border = '0';
    frame.style.width = size(options.width, '100%');
    frame.style.height = size(options.height, '100%');
    if (typeof options.onload === 'function') frame.addEventListener('load', options.onload);
    (options.parentNode || doc.body).appendChild(frame);
    this._frame = frame;

    this._onMessage = function (ev) {
      var d = ev && ev.data;
      if (!self._autoEvents || !d || d.source !== 'jitsi-fake') return;
      if (self._frame && ev.source && self._frame.contentWindow && ev.source !== self._frame.contentWindow) return;
      if (d.type === 'joined') {
        self.__emit('videoConferenceJoined', {
          roomName: d.room, id: d.userId || 'local', displayName: d.userName || '',
          avatarURL: '', breakoutRoom: false, visitor: false
        });
        if (d.role === 'moderator') self.__emit('participantRoleChanged', { id: d.userId || 'local', role: 'moderator' });
      } else if (d.type === 'rejected') {
        self.__emit('errorOccurred', {
          details: { error: d.error }, message: d.message, name: 'conference.connectionError.notAllowed',
          type: 'CONNECTION', isFatal: true
        });
      }
    };
    if (w.addEventListener) w.addEventListener('message', this._onMessage);
    apis.push(this);
  }

  var p = JitsiMeetExternalAPI.prototype;

  p.executeCommand = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var rec = { api: this.index, name: name, args: args, at: Date.now() };
    commands.push(rec);
    this.commands.push(rec);
    if (name === 'hangup' && this._autoEvents) {
      this.__emit('videoConferenceLeft', { roomName: this._roomName });
      this.__emit('readyToClose');
    }
  };

  p.executeCommands = function (map) {
    var self = this;
    Object.keys(map || {}).forEach(function (name) {
      var v = map[name];
      self.executeCommand.apply(self, [name].concat(Array.isArray(v) ? v : [v]));
    });
  };

  p.addEventListener = p.addListener = p.on = function (name, fn) {
    (this._listeners[name] = this._listeners[name] || []).push(fn);
    return this;
  };

  p.removeEventListener = p.removeListener = p.off = function (name, fn) {
    var l = this._listeners[name];
    if (!l) return this;
    this._listeners[name] = fn ? l.filter(function (f) { return f !== fn; }) : [];
    return this;
  };

  p.addEventListeners = function (map) {
    var self = this;
    Object.keys(map || {}).forEach(function (n) { self.addEventListener(n, map[n]); });
  };

  p.removeEventListeners = function (names) {
    var self = this;
    (names || []).forEach(function (n) { self.removeEventListener(n); });
  };

  /** Test hook: deliver an event to the listeners, as the real API would. */
  p.__emit = function (name, payload) {
    var rec = { api: this.index, name: name, payload: payload, at: Date.now() };
    events.push(rec);
    this.events.push(rec);
    (this._listeners[name] || []).slice().forEach(function (fn) { fn(payload); });
  };

  p.getIFrame = function () { return this._frame; };
  p.getRoomName = function () { return this._roomName; };

  p.dispose = function () {
    var rec = { api: this.index, name: 'dispose', args: [], at: Date.now() };
    commands.push(rec);
    this.commands.push(rec);
    if (w.removeEventListener) w.removeEventListener('message', this._onMessage);
    if (this._frame && this._frame.parentNode) this._frame.parentNode.removeChild(this._frame);
    this._frame = null;
    this._listeners = {};
  };

  w.JitsiMeetExternalAPI = JitsiMeetExternalAPI;
})();
`;

/** Source of the stub `external_api.js` served at `GET /external_api.js`. */
export function jitsiExternalApiScript(): string {
  return SCRIPT;
}
