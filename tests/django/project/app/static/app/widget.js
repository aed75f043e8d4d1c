window.WIDGET = true;
