export * from './common';
export * from './resources';
export * from './events';
export * from './requests';
export * from './samples';
