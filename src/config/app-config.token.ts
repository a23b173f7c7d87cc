/** Injection token of the validated AppConfig (a plain object, not a class). */
export const APP_CONFIG = Symbol('APP_CONFIG');
