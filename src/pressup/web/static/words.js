// Plain words for the codes the server sends (kept in step with pressup/report/wording.py).

/** Per-frame position label -> what the page shows. */
export const LABEL_WORDS = {
  prone_flat: 'Lying down',
  rising: 'Pressing up',
  sphinx: 'Up on your forearms',
  pressup_hands: 'Up on your hands',
  updog: 'Up with hips lifted',
  lowering: 'Lowering',
  other_pose: 'Not the exercise position',
  not_visible: "I can't see you",
};

/** Form fault code -> a short description for the summary. */
export const FAULT_WORDS = {
  elbows_locked: 'Elbows locked straight',
  neck_extended: 'Head tipped back',
  neck_flexed: 'Chin dropped',
  hips_lifted: 'Hips came off the floor',
  shoulders_shrugged: 'Shoulders hunched up',
  fast_lowering: 'Came down quickly',
  short_hold: 'Hold was shorter than planned',
};

/** Set-up and start-position check id -> short title (the server's message says what to do). */
export const CHECK_WORDS = {
  person: 'I can see you',
  whole_body: 'Whole body in the picture',
  camera_side: 'Camera at your side',
  camera_level: 'Camera level with you',
  distance: 'Camera distance',
  light: 'Enough light',
  one_person: 'Only you in the picture',
  lying: 'Lying face down',
  forearms: 'Forearms on the floor',
  hands: 'Hands beside shoulders or head',
  head: 'Forehead down',
};

/** Session stage -> heading words. */
export const STAGE_WORDS = {
  intro: 'Welcome',
  setup: 'Camera set-up',
  start_check: 'Start position',
  exercise: 'Press-ups',
  rest: 'Rest',
  pain: 'Pain rating',
  paused: 'Paused',
  done: 'Finished',
};

export function labelWords(label) {
  return LABEL_WORDS[label] || (label ? String(label).replace(/_/g, ' ') : '');
}

export function faultWords(code) {
  if (FAULT_WORDS[code]) return FAULT_WORDS[code];
  const s = String(code || '').replace(/_/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : 'Form point';
}
