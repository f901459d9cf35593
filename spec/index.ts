export * from './constants';
export * from './world';
export * from './actions';
export * from './events';
export * from './adapter';
export * from './rules';
export * from './describe';
export * from './protocol';
