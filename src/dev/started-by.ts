/**
 * The pid of the process that started dev, read as the first thing dev's module does (src/dev/main.ts
 * imports this module first): the rest of start-up takes about a second, and npm killed in that
 * window would leave this process reparented already, its parent pid then that of the reaper.
 */
export const startedBy = process.ppid;
