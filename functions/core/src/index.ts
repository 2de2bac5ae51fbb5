export * from './events/catalogue.ts';
export * from './events/cloudevents.ts';
export * from './events/define.ts';
export * from './events/envelope.ts';
