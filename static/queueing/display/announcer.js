/* The lobby display's voice: a chime, then "请 A023 号到 5 号窗口办理" twice.
 *
 * Announcements wait in a queue and play one at a time, so two calls never
 * talk over each other. The words come from the browser's Chinese speech
 * voice when it has one, otherwise from clips the server rendered with
 * espeak-ng (python manage.py render_voice) played back to back through the
 * Web Audio API. The chime is synthesised, so no file is needed for it.
 *
 * Browsers keep audio locked until someone taps the page: the display shows a
 * one-time "点击启用语音" overlay unless audio already runs (Chromium kiosk with
 * --autoplay-policy=no-user-gesture-required, or ?sound=1).
 *
 * Query options: ?sound=0 mutes, ?sound=1 trusts the autoplay flag (no overlay),
 * ?voice=clips or ?voice=speech picks the voice. A display that needs no tap:
 *   chromium --kiosk --autoplay-policy=no-user-gesture-required \
 *     'http://<server>/display/<hall code>/?sound=1'
 * (on the counter screens: /display/<hall code>/counter/<n>/; ?name=... names
 * the device in the admin).
 *
 * For tests and the curious: window.qmsAnnouncer.queue (waiting), .current
 * (playing), .spoken (every text in the order it was queued) and .log
 * ({text, recall, via, queuedAt, startedAt, endedAt}, performance.now() ms).
 */
(function () {
  "use strict";

  const root = document.querySelector(".display-root");
  const VOICE_PATH = (root && root.dataset.voiceUrl) || "/static/queueing/display/voice/";
  const MAX_COUNTER_CLIP = 30;
  const REPEAT = 2;
  const LOG_SIZE = 200; // a display runs for weeks: keep the recent history only
  const params = new URLSearchParams(location.search);
  const muted = params.get("sound") === "0";
  const voicePreference = params.get("voice"); // "clips" | "speech" | null

  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  const audio = AudioCtx ? new AudioCtx() : null;
  const buffers = new Map(); // clip name -> Promise<AudioBuffer|null>

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /* --- What is said ----------------------------------------------------- */

  const CN_DIGITS = "零一二三四五六七八九";

  function displayText(call) {
    return `请 ${call.number} 号到 ${call.counter} 号窗口办理`;
  }

  // For a speech voice: digits one by one in characters ("A零二三"), the way
  // halls read numbers; the counter as a number ("5号窗口" is "五号窗口").
  function speechText(call) {
    const spelled = String(call.number).replace(/[0-9]/g, (d) => CN_DIGITS[Number(d)]);
    return `请${spelled}号，到${call.counter}号窗口办理`;
  }

  // The clips for one saying, each with the pause after it in seconds.
  function clipSequence(call) {
    const clips = [["qing", 0.08]];
    for (const ch of String(call.number).toUpperCase()) {
      if (/[A-Z]/.test(ch)) clips.push([`letter-${ch}`, 0.06]);
      else if (/[0-9]/.test(ch)) clips.push([`digit-${ch}`, 0.05]);
    }
    clips.push(["hao", 0.2], ["dao", 0.06]);
    const counter = Number(call.counter);
    if (counter >= 1 && counter <= MAX_COUNTER_CLIP) clips.push([`counter-${counter}`, 0.05]);
    else for (const d of String(call.counter)) if (/[0-9]/.test(d)) clips.push([`digit-${d}`, 0.05]);
    clips.push(["hao", 0.06], ["chuangkou", 0]);
    return clips;
  }

  /* --- Voices ------------------------------------------------------------ */

  // eSpeak's Mandarin reads many characters as English-spelt pinyin; the
  // rendered clips (pinyin with tones) sound better than it does.
  function chineseVoice() {
    if (!("speechSynthesis" in window) || voicePreference === "clips") return null;
    const voices = speechSynthesis.getVoices().filter((v) => {
      const lang = v.lang.toLowerCase().replace("_", "-");
      const chinese = lang === "zh-cn" || lang.startsWith("zh-hans") || lang === "cmn" || lang === "zh";
      return chinese && (voicePreference === "speech" || !/espeak/i.test(v.name));
    });
    return voices.find((v) => v.localService) || voices[0] || null;
  }

  function loadClip(name) {
    if (!buffers.has(name)) {
      buffers.set(name, fetch(VOICE_PATH + name + ".wav")
        .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(r.status))))
        .then((data) => audio.decodeAudioData(data))
        .catch(() => null));
    }
    return buffers.get(name);
  }

  function preloadClips() {
    if (!audio || muted) return;
    const names = ["qing", "hao", "dao", "chuangkou"];
    for (let d = 0; d <= 9; d++) names.push(`digit-${d}`);
    names.forEach(loadClip);
  }

  /* --- Playing ------------------------------------------------------------ */

  // A two-note "ding-dong", a little under 1.3 s.
  async function chime() {
    if (!audio || muted) return;
    const start = audio.currentTime + 0.05;
    [[659.25, 0], [523.25, 0.45]].forEach(([freq, offset]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.5, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.8);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.85);
    });
    await sleep(1300);
  }

  // Schedules the clips back to back on the audio clock, then waits on the
  // wall clock: the queue moves on even where no sound device is present.
  async function sayWithClips(call) {
    const sequence = clipSequence(call);
    const loaded = await Promise.all(sequence.map(([name]) => loadClip(name)));
    let at = audio.currentTime + 0.05;
    let seconds = 0;
    loaded.forEach((buffer, i) => {
      const pause = sequence[i][1];
      if (buffer) {
        const source = audio.createBufferSource();
        source.buffer = buffer;
        source.connect(audio.destination);
        source.start(at);
        at += buffer.duration + pause;
        seconds += buffer.duration + pause;
      }
    });
    await sleep(Math.max(seconds, 1) * 1000 + 100);
  }

  // Resolves when the voice has finished, or after a generous limit, since
  // some engines never fire `end`.
  function sayWithSpeech(call, voice) {
    return new Promise((resolve) => {
      const utterance = new SpeechSynthesisUtterance(speechText(call));
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.rate = 0.9;
      const limit = setTimeout(() => done("timeout"), 2000 + utterance.text.length * 450);
      function done(how) {
        clearTimeout(limit);
        resolve(how);
      }
      utterance.onend = () => done("end");
      utterance.onerror = (e) => done(e.error || "error");
      speechSynthesis.speak(utterance);
    });
  }

  async function say(call, item) {
    const voice = chineseVoice();
    if (voice) {
      const how = await sayWithSpeech(call, voice);
      if (how !== "not-allowed") {
        item.via = "speech";
        return;
      }
    }
    item.via = "clips";
    await sayWithClips(call);
  }

  /* --- The queue ---------------------------------------------------------- */

  const announcer = {
    queue: [],
    current: null,
    spoken: [],
    log: [],
    muted,
    unlocked: false,

    /** Queue one call: {number, counter, recall}. */
    announce(call) {
      const text = displayText(call);
      // A recall arriving while the first call still waits its turn says nothing new.
      if (this.queue.some((item) => item.text === text)) return;
      const item = { text, recall: Boolean(call.recall), call, via: null,
                     queuedAt: performance.now(), startedAt: null, endedAt: null };
      this.queue.push(item);
      this.spoken.push(text);
      this.log.push(item);
      if (this.log.length > LOG_SIZE) {
        this.log.splice(0, this.log.length - LOG_SIZE);
        this.spoken.splice(0, this.spoken.length - LOG_SIZE);
      }
      run();
    },

    /** Unlock audio from a user gesture (the overlay's tap). */
    unlock() {
      if (audio) audio.resume();
      if ("speechSynthesis" in window) {
        // Speaking once inside the gesture lets later announcements speak too.
        const silent = new SpeechSynthesisUtterance(" ");
        silent.volume = 0;
        speechSynthesis.speak(silent);
      }
      this.unlocked = true;
    },
  };

  let running = false;
  async function run() {
    if (running) return;
    running = true;
    try {
      while (announcer.queue.length) {
        const item = announcer.queue.shift();
        announcer.current = item;
        item.startedAt = performance.now();
        try {
          if (muted || !audio) {
            item.via = "muted";
            await sleep(300);
          } else {
            if (audio.state !== "running") await audio.resume().catch(() => {});
            await chime();
            // Catching up after a rush: say each once while several wait.
            const times = announcer.queue.length > 2 ? 1 : REPEAT;
            for (let i = 0; i < times; i++) {
              if (i) await sleep(600);
              await say(item.call, item);
            }
          }
        } catch (err) {
          console.error("announcement failed", err);
        }
        item.endedAt = performance.now();
        announcer.current = null;
      }
    } finally {
      running = false;
    }
  }

  /* --- Unlocking ---------------------------------------------------------- */

  function setUpUnlock() {
    const overlay = document.querySelector("[data-sound-unlock]");
    if (!overlay || muted || !audio) return;
    const trusted = params.get("sound") === "1";
    const unlockedAlready = () => audio.state === "running";
    const show = () => {
      overlay.hidden = false;
      overlay.addEventListener("click", () => {
        announcer.unlock();
        overlay.hidden = true;
        chime();
      }, { once: true });
    };
    if (trusted) {
      announcer.unlocked = true;
      return;
    }
    // With autoplay allowed the context starts (or resumes) by itself.
    Promise.race([audio.resume().catch(() => {}), sleep(700)]).then(() => {
      if (unlockedAlready()) announcer.unlocked = true;
      else show();
    });
  }

  if ("speechSynthesis" in window) {
    speechSynthesis.getVoices(); // some browsers load voices only when first asked
  }
  preloadClips();
  window.qmsAnnouncer = announcer;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpUnlock);
  else setUpUnlock();
})();
