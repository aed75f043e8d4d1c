window.SOURCE = 'app';
