/**
 * UI strings of the site's own components (Quiz, Terminal, lab controls, progress).
 * Starlight's chrome translates itself. Look up with `useUi(lang)`; English falls back per key.
 */
export const ui = {
  ru: {
    'quiz.heading.self-check': 'Вопросы для самопроверки',
    'quiz.heading.short': 'Краткие вопросы',
    'quiz.check': 'Проверить ответ',
    'quiz.retry': 'Ответить снова',
    'quiz.correct': 'Верно!',
    'quiz.wrong': 'Неверно.',
    'quiz.empty': 'Сначала выберите или введите ответ.',
    'quiz.answer.text': 'Ваш ответ',
    'quiz.answer.command': 'Команда',
    'quiz.multiple.note': 'Выберите все верные варианты.',
    'quiz.score': 'Отвечено верно: {done} из {total}',
    'quiz.question': 'Вопрос {n}',
    'quiz.see': 'Где это в тексте',
    'progress.title': 'Ваш прогресс',
    'progress.summary': 'Вопросов отвечено верно: {quiz}. Лабораторных выполнено: {labs}.',
    'progress.none': 'Прогресс сохраняется в этом браузере.',
    'progress.reset': 'Сбросить прогресс',
    'progress.reset.confirm': 'Удалить все ответы и отметки о лабораторных в этом браузере?',
    'progress.reset.done': 'Прогресс сброшен.',
    'term.label': 'Терминал',
    'term.open': 'Открыть терминал',
    'term.idle': 'Терминал ещё не запущен.',
    'term.loading': 'Загрузка терминала…',
    'term.starting': 'Запускаем вашу песочницу…',
    'term.connecting': 'Подключение…',
    'term.ready': 'Подключено',
    'term.disconnected': 'Соединение потеряно. Переподключение через {s} с…',
    'term.reconnect': 'Переподключить',
    'term.exited': 'Оболочка завершилась (код {code}).',
    'term.newShell': 'Новая оболочка',
    'term.expiring': 'Сессия закончится в {time}.',
    'term.extend': 'Продлить',
    'term.extended': 'Сессия продлена до {time}.',
    'term.extendMax': 'Сессию нельзя продлить сильнее.',
    'term.unavailable':
      'Интерактивный терминал недоступен: сайт открыт без сервера песочниц (runner). Текст, вопросы и подсказки работают; команды можно выполнить в своём Docker.',
    'term.error': 'Ошибка: {msg}',
    'term.newSession': 'Прежняя сессия закончилась, создана новая.',
    'term.busy': 'Сейчас нет свободных песочниц. Попробуйте через минуту.',
    'term.limit': 'С вашего адреса открыто слишком много сессий. Закройте лишние вкладки или подождите.',
    'err.lab_start_failed': 'Не удалось подготовить лабораторную ({msg}). Нажмите «Начать» ещё раз; если не поможет — обновите страницу.',
    'err.check_failed': 'Проверка сломалась на стороне сервера ({msg}). Попробуйте проверить ещё раз.',
    'err.max_lifetime_reached': 'Сессию больше нельзя продлить: она достигла предельного срока. Когда она закончится, будет создана новая песочница.',
    'err.session_stopped': 'Сессия закончилась. Обновите страницу — будет создана новая песочница.',
    'err.session_starting': 'Песочница ещё запускается. Подождите несколько секунд и повторите.',
    'err.shutting_down': 'Сервер песочниц перезапускается. Повторите через минуту.',
    'err.labs_unavailable': 'Лабораторные сейчас недоступны на сервере. Повторите позже.',
    'err.too_many_terminals': 'В этой сессии открыто слишком много терминалов. Закройте лишние вкладки.',
    'err.unknown_lab': 'Сервер не знает эту лабораторную. Обновите страницу.',
    'err.internal': 'Внутренняя ошибка сервера песочниц. Повторите попытку.',
    'err.too_many_creations': 'Слишком много новых сессий за минуту с вашего адреса. Подождите минуту и попробуйте снова.',
    'term.hint':
      'Ctrl+Shift+C — копировать, Ctrl+Shift+V — вставить, Ctrl+C — прервать команду. Esc, затем Tab — выйти из терминала.',
    'term.screen': 'Терминал песочницы. Чтобы выйти с клавиатуры: Esc, затем Tab.',
    'term.run': 'Выполнить в терминале',
    'term.noTerminal': 'На странице нет терминала.',
    'lab.start': 'Начать',
    'lab.restart': 'Начать заново',
    'lab.restart.confirm': 'Начать лабораторную заново? Её состояние в песочнице будет сброшено.',
    'lab.starting': 'Готовим лабораторную…',
    'lab.started': 'Лабораторная готова. Выполняйте задание в терминале.',
    'lab.check': 'Проверить',
    'lab.checking': 'Проверяем…',
    'lab.passed': 'Все критерии выполнены — лабораторная пройдена!',
    'lab.failed': 'Пока не всё: исправьте отмеченные пункты и проверьте снова.',
    'lab.notStarted': 'Сначала нажмите «Начать».',
    'lab.autocheck': 'Проверять автоматически (каждые ~15 с после ввода)',
    'lab.criteria': 'Критерии',
    'lab.hintFor': 'Подсказка',
    'lab.hints': 'Подсказки',
    'lab.hint.next': 'Показать подсказку ({n} из {total})',
    'lab.hint.none': 'Подсказок больше нет.',
    'lab.solution': 'Эталонное решение',
    'lab.solution.show': 'Показать решение',
    'lab.solution.confirm': 'Решение лучше смотреть после собственной попытки. Показать?',
    'lab.solution.yes': 'Да, показать',
    'lab.solution.no': 'Нет, попробую сам',
    'lab.solution.missing': 'Эталонное решение ещё не опубликовано.',
    'lab.section': 'Раздел главы',
    'lab.task': 'Задание',
    'lab.practice': 'Терминал и проверка',
    'lab.task.missing': 'Текст задания ещё пишется. Критерии проверки перечислены ниже.',
    'lab.done': 'Пройдена',
    'lab.optional': 'необязательный',
    'labs.list': 'Лабораторные работы',
  },
  en: {
    'quiz.heading.self-check': 'Self-check questions',
    'quiz.heading.short': 'Short questions',
    'quiz.check': 'Check answer',
    'quiz.retry': 'Answer again',
    'quiz.correct': 'Correct!',
    'quiz.wrong': 'Not quite.',
    'quiz.empty': 'Choose or type an answer first.',
    'quiz.answer.text': 'Your answer',
    'quiz.answer.command': 'Command',
    'quiz.multiple.note': 'Select every correct option.',
    'quiz.score': 'Answered correctly: {done} of {total}',
    'quiz.question': 'Question {n}',
    'quiz.see': 'Where the page explains it',
    'progress.title': 'Your progress',
    'progress.summary': 'Questions answered correctly: {quiz}. Labs passed: {labs}.',
    'progress.none': 'Progress is kept in this browser.',
    'progress.reset': 'Reset progress',
    'progress.reset.confirm': 'Delete all answers and lab results stored in this browser?',
    'progress.reset.done': 'Progress reset.',
    'term.label': 'Terminal',
    'term.open': 'Open terminal',
    'term.idle': 'The terminal has not started yet.',
    'term.loading': 'Loading the terminal…',
    'term.starting': 'Starting your sandbox…',
    'term.connecting': 'Connecting…',
    'term.ready': 'Connected',
    'term.disconnected': 'Connection lost. Reconnecting in {s} s…',
    'term.reconnect': 'Reconnect',
    'term.exited': 'The shell exited (code {code}).',
    'term.newShell': 'New shell',
    'term.expiring': 'The session ends at {time}.',
    'term.extend': 'Extend',
    'term.extended': 'Session extended until {time}.',
    'term.extendMax': 'The session cannot be extended any further.',
    'term.unavailable':
      'The interactive terminal is not available: this site is served without the sandbox runner. Text, quizzes and hints still work; run the commands in your own Docker.',
    'term.error': 'Error: {msg}',
    'term.newSession': 'The previous session ended; a new one was created.',
    'term.busy': 'No sandbox is free right now. Try again in a minute.',
    'term.limit': 'Too many sessions from your address. Close extra tabs or wait a little.',
    'err.lab_start_failed': 'The lab could not be prepared ({msg}). Press Start again; if that does not help, reload the page.',
    'err.check_failed': 'The check broke on the server ({msg}). Try checking again.',
    'err.max_lifetime_reached': 'The session cannot be extended any further. When it ends, a new sandbox will be created.',
    'err.session_stopped': 'The session has ended. Reload the page to get a new sandbox.',
    'err.session_starting': 'The sandbox is still starting. Wait a few seconds and try again.',
    'err.shutting_down': 'The sandbox server is restarting. Try again in a minute.',
    'err.labs_unavailable': 'Labs are not available on the server right now. Try again later.',
    'err.too_many_terminals': 'Too many terminals are open on this session. Close extra tabs.',
    'err.unknown_lab': 'The server does not know this lab. Reload the page.',
    'err.internal': 'Internal error of the sandbox server. Try again.',
    'err.too_many_creations': 'Too many new sessions from your address within a minute. Wait a minute and try again.',
    'term.hint':
      'Ctrl+Shift+C copies, Ctrl+Shift+V pastes, Ctrl+C interrupts a command. Esc then Tab leaves the terminal.',
    'term.screen': 'Sandbox terminal. To leave it with the keyboard: Esc, then Tab.',
    'term.run': 'Run in terminal',
    'term.noTerminal': 'There is no terminal on this page.',
    'lab.start': 'Start',
    'lab.restart': 'Start again',
    'lab.restart.confirm': 'Start the lab again? Its state in the sandbox will be reset.',
    'lab.starting': 'Preparing the lab…',
    'lab.started': 'The lab is ready. Do the task in the terminal.',
    'lab.check': 'Check',
    'lab.checking': 'Checking…',
    'lab.passed': 'Every criterion is met: lab passed!',
    'lab.failed': 'Not yet: fix the marked items and check again.',
    'lab.notStarted': 'Press “Start” first.',
    'lab.autocheck': 'Check automatically (about 15 s after typing)',
    'lab.criteria': 'Criteria',
    'lab.hintFor': 'Hint',
    'lab.hints': 'Hints',
    'lab.hint.next': 'Show a hint ({n} of {total})',
    'lab.hint.none': 'No more hints.',
    'lab.solution': 'Reference solution',
    'lab.solution.show': 'Show the solution',
    'lab.solution.confirm': 'The solution is best read after your own attempt. Show it?',
    'lab.solution.yes': 'Yes, show it',
    'lab.solution.no': 'No, I will try myself',
    'lab.solution.missing': 'The reference solution is not published yet.',
    'lab.section': 'Chapter section',
    'lab.task': 'Task',
    'lab.practice': 'Terminal and check',
    'lab.task.missing': 'The task text is still being written. The check criteria are listed below.',
    'lab.done': 'Passed',
    'lab.optional': 'optional',
    'labs.list': 'Labs',
  },
} as const;

export type Lang = keyof typeof ui;
export type UiKey = keyof (typeof ui)['ru'];

export function langOf(value: string | undefined): Lang {
  return value?.toLowerCase().startsWith('en') ? 'en' : 'ru';
}

/** Translation function for one page language; `{name}` placeholders are filled from `vars`. */
export function useUi(lang: string | undefined) {
  const table = ui[langOf(lang)] as Record<UiKey, string>;
  return (key: UiKey, vars: Record<string, string | number> = {}) =>
    (table[key] ?? ui.ru[key]).replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

/** The subset of strings a client script needs, serialised into a data attribute. */
export function pickUi(lang: string | undefined, prefixes: string[]): Record<string, string> {
  const table = ui[langOf(lang)] as Record<string, string>;
  return Object.fromEntries(Object.entries(table).filter(([k]) => prefixes.some((p) => k.startsWith(p))));
}

/** Page language inside an Astro component rendered by Starlight. */
export function pageLang(astro: { locals: Record<string, any>; currentLocale?: string | undefined }): Lang {
  try {
    return langOf(astro.locals.starlightRoute?.lang ?? astro.currentLocale);
  } catch {
    return langOf(astro.currentLocale);
  }
}
