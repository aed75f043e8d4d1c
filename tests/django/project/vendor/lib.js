window.VENDOR = 'lib';
